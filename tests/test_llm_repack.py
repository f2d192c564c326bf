"""Lossless Q5_0/Q4_0 -> Q8_0 re-encoding for llama.cpp's AMX kernels (qa.llm.repack)."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gguf") is None,
                                reason="optional LLM extras not installed: pip install -r requirements-llm.txt")


def _random_blocks(n: int, size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, size=(n, size), dtype=np.uint8)
    scales = rng.uniform(-0.05, 0.05, n).astype(np.float16)  # real scales, not random fp16 bit patterns
    raw[:, :2] = scales.view(np.uint8).reshape(n, 2)
    return raw


@pytest.mark.parametrize("kind,size", [("Q5_0", 22), ("Q4_0", 18)])
def test_every_weight_keeps_its_exact_value(kind, size):
    import gguf

    from qa.llm.repack import q4_0_as_q8_0, q5_0_as_q8_0

    src = _random_blocks(4096, size, seed=size)
    out = (q5_0_as_q8_0 if kind == "Q5_0" else q4_0_as_q8_0)(src)
    assert out.shape == (4096, 34)
    before = gguf.quants.dequantize(src.reshape(64, -1), gguf.GGMLQuantizationType[kind])
    after = gguf.quants.dequantize(out.reshape(64, -1), gguf.GGMLQuantizationType.Q8_0)
    assert before.shape == after.shape and np.array_equal(before, after)


def test_a_file_that_is_not_gguf_is_a_clear_error(tmp_path):
    from qa.errors import LLMError
    from qa.llm.repack import q8_copy

    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(LLMError, match="could not re-encode model.gguf"):
        q8_copy(bad, tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.part"))
