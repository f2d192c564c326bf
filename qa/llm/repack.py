"""Lossless re-encoding of a GGUF's Q5_0 and Q4_0 tensors as Q8_0, for llama.cpp's AMX kernels.

llama.cpp's AMX matrix kernels (Intel Sapphire Rapids and later) take Q8_0, Q4_K and Q6_K weights but
not Q5_0, which most layers of the packaged test model use. A Q5_0 or Q4_0 block is a scale times
small integers (-16..15 or -8..7); Q8_0 stores the same scale and the same integers in int8, so the
copy holds exactly the same numbers. Every other tensor and all metadata are copied unchanged.
The copy goes to the cache folder, written beside its final name and renamed, so a crash never
leaves a torn model. It does not quantize from floats, and it never touches the source file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import LLMError
from ..store import file_stamp, written_beside

_Q5_0_BYTES, _Q4_0_BYTES = 22, 18  # per block of 32 weights: fp16 scale (+ 4 bytes of high bits) + nibbles


def q5_0_as_q8_0(raw: np.ndarray) -> np.ndarray:
    """Q5_0 blocks (rows of 22 bytes) as Q8_0 blocks (rows of 34 bytes) holding the same values."""
    b = raw.reshape(-1, _Q5_0_BYTES)
    high = b[:, 2:6].copy().view("<u4")[:, 0][:, None]  # bit j: the 5th bit of weight j
    j = np.arange(16, dtype=np.uint32)
    h0 = (((high >> j) << 4) & 0x10).astype(np.uint8)
    h1 = ((high >> (j + 12)) & 0x10).astype(np.uint8)
    qs = b[:, 6:]
    low = ((qs & 0x0F) | h0).astype(np.int16) - 16  # weights 0..15 of the block
    up = ((qs >> 4) | h1).astype(np.int16) - 16  # weights 16..31
    return np.concatenate([b[:, :2], np.concatenate([low, up], axis=1).astype(np.int8).view(np.uint8)], axis=1)


def q4_0_as_q8_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (rows of 18 bytes) as Q8_0 blocks holding the same values."""
    b = raw.reshape(-1, _Q4_0_BYTES)
    qs = b[:, 2:]
    low, up = (qs & 0x0F).astype(np.int16) - 8, (qs >> 4).astype(np.int16) - 8
    return np.concatenate([b[:, :2], np.concatenate([low, up], axis=1).astype(np.int8).view(np.uint8)], axis=1)


def q8_copy(path: Path, cache_dir: Path) -> Path:
    """A Q8_0 copy of `path` in `cache_dir/models` (made once; reused while the source is unchanged).
    The source itself when it has no Q5_0/Q4_0 tensor."""
    try:
        import gguf
    except ImportError:
        raise LLMError("the gguf package is needed for AMX kernels: pip install -r requirements-llm.txt") from None
    key = hashlib.sha256(file_stamp(path).encode()).hexdigest()[:12]
    target = Path(cache_dir) / "models" / f"{path.stem}.{key}.q8_0.gguf"
    if target.is_file():
        return target
    try:
        reader = gguf.GGUFReader(str(path))
        convert = {gguf.GGMLQuantizationType.Q5_0: q5_0_as_q8_0, gguf.GGMLQuantizationType.Q4_0: q4_0_as_q8_0}
        if not any(t.tensor_type in convert for t in reader.tensors):
            return path
        with written_beside(target) as partial:
            _write(gguf, reader, convert, partial)
    except (OSError, ValueError) as exc:
        raise LLMError(f"could not re-encode {path.name} for AMX: {exc}") from None
    return target


def _write(gguf, reader, convert: dict, out: Path) -> None:
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(str(out), arch=arch)
    for field in reader.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue  # written by GGUFWriter itself
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), vtype, sub_type=sub)
    tensors = []
    for t in reader.tensors:
        data, ttype = t.data, t.tensor_type
        if ttype in convert:
            data = convert[ttype](np.ascontiguousarray(data)).reshape(data.shape[0], -1)
            ttype = gguf.GGMLQuantizationType.Q8_0
        tensors.append((data, ttype))
        writer.add_tensor_info(t.name, data.shape, data.dtype, data.nbytes, ttype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for data, _ in tensors:
        writer.write_tensor_data(data)
    writer.close()
