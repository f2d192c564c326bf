"""Optional local-model answering: backends (GGUF in-process, OpenAI-compatible HTTP), grounded
prompts, and sentence-level verification of the model's citations.

Importing this package loads no model and needs none of the optional extras; xllamacpp is imported
only when a GGUF backend is first used. See qa.llm.grounded.llm_answer for the entry point.
"""

from .backends import GGUFBackend, HTTPBackend, LLMBackend, make_backend, test_model_path
from .grounded import llm_answer

__all__ = ["GGUFBackend", "HTTPBackend", "LLMBackend", "llm_answer", "make_backend", "test_model_path"]
