"""The one tokenizer for BM25 and the answerer: qa.words.index_terms (lower-cased, stop-word-free,
Snowball-stemmed words), under the name the rest of the code uses.

Indexing and querying share it so the two always agree. The BM25 index itself lives in
qa.backends.bm25. It does not embed, score, fuse or decide anything about answers.
"""

from __future__ import annotations

from .words import index_terms

tokenize = index_terms
