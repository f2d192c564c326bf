"""qa: question answering over a folder of news articles, with verbatim citations.

`from qa import Assistant` is the entry point; see qa.api.
"""

from .api import Assistant
from .errors import QAError
from .types import Answer, Citation, Document, Passage

__all__ = ["Assistant", "QAError", "Answer", "Citation", "Document", "Passage"]
__version__ = "0.1.0"
