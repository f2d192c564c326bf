"""The one place that imports xllamacpp (llama.cpp's Python bindings) and fills its server parameters.

Both qa.llm.backends (the in-process GGUF backend) and qa.llm.amx (the child process that checks the
AMX kernels) need these two things; keeping them here lets backends import amx without amx importing
backends back. It loads no model and starts no server itself.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from ..errors import LLMError

INSTALL_HINT = "install the optional extras: pip install -r requirements-llm.txt"


def has_amx(system_info: str) -> bool:
    """True when llama.cpp says it was built with AMX kernels ("AMX_INT8 = 1" in its system info)."""
    return "AMX_INT8 = 1" in system_info


def load_xllamacpp():
    """The xllamacpp module, or LLMError with the install hint when the optional extras are missing."""
    try:
        import xllamacpp
    except ImportError:
        raise LLMError(f"xllamacpp is not installed; {INSTALL_HINT}") from None
    return xllamacpp


def server_params(path: Path, threads: int, ctx: int, max_tokens: int, amx: bool = False):
    """xllamacpp.CommonParams for one greedy, single-slot server of the model at `path`."""
    xlc = load_xllamacpp()
    p = xlc.CommonParams()
    p.model.path = str(path)
    p.n_ctx, p.n_predict, p.n_parallel = ctx, max_tokens, 1
    p.cpuparams.n_threads = p.cpuparams_batch.n_threads = threads
    p.sampling.temp, p.sampling.top_k = 0.0, 1  # greedy: the same question gives the same answer
    p.verbosity = 0
    # The embedded server also listens on a loopback port with CORS "*": a random key keeps other
    # local programs and web pages from using it; in-process calls do not need the key.
    p.api_keys = [secrets.token_urlsafe(24)]
    p.ui, p.endpoint_slots, p.endpoint_metrics, p.endpoint_props = False, False, False, False
    p.cache_ram_mib = 256  # the default host prompt cache may grow to 8 GiB
    if has_amx(xlc.get_system_info()) and not amx:
        # A build for an AMX CPU (GGML_NATIVE on Sapphire Rapids and later) made by GCC 12 drops the
        # stores that fill the AMX tile configuration (dead-store elimination), so its kernels die
        # with SIGILL and take the whole process (web chat included) with them. Without the extra
        # buffer types they are never used; qa.llm.amx.choose asks for them (amx=True) only after its
        # check passed, or when --llm-amx forces it.
        p.no_extra_bufts = True
    return p
