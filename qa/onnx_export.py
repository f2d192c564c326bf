"""One-time export of a sentence-transformers model to ONNX (fp32) and its dynamic int8 quantisation.

The files live under <cache>/onnx/<fingerprint>-v<EXPORT_VERSION>/ (Settings.cache_dir, QA_CACHE), keyed
by the weights fingerprint so a changed model is exported again. Each model file is written beside its
final name and renamed (qa.store.written_beside), then described by a sidecar JSON (sha256 + file
stamp); a file whose stamp moved is re-hashed, and one that is missing or does not match is exported
again. A file lock keeps two processes from exporting at once. The export needs torch and transformers
(imported here, inside the functions, and only when a file must be made); using the files does not
(see qa.onnx_encoder). It does not encode text.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from filelock import FileLock

from . import config, store
from .errors import ModelLoadError

EXPORT_VERSION = 2  # bump when the recipe below changes: old files are then never reused
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def cache_dir_for(fingerprint: str, cache_dir: Path | None = None) -> Path:
    base = Path(cache_dir) if cache_dir else config.settings().cache_dir
    return base / "onnx" / f"{fingerprint[:16]}-v{EXPORT_VERSION}"


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def is_valid(path: Path) -> bool:
    """The file exists and matches its sidecar (stamp, or sha256 when the stamp moved)."""
    try:
        meta = json.loads(_sidecar(path).read_text("utf-8"))
        if not path.is_file() or not isinstance(meta, dict):
            return False
        if meta.get("stamp") == store.file_stamp(path):
            return True
        if meta.get("sha256") != store.file_sha256(path):
            return False
    except (OSError, ValueError):
        return False
    _describe(path)  # same bytes, new stamp (copied or touched): remember the new stamp
    return True


def _describe(path: Path) -> None:
    meta = {"sha256": store.file_sha256(path), "stamp": store.file_stamp(path), "export_version": EXPORT_VERSION}
    with store.written_beside(_sidecar(path)) as part:
        part.write_text(json.dumps(meta, indent=1), "utf-8")


def ensure_onnx(model_dir: str, fingerprint: str, variant: str, cache_dir: Path | None = None) -> Path:
    """The ONNX file for `variant` ('onnx' = fp32, 'onnx-int8'), exported/quantised on first use."""
    folder = cache_dir_for(fingerprint, cache_dir)
    target = folder / f"model-{variant}.onnx"
    if is_valid(target):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(folder / ".export.lock")):
            if is_valid(target):  # another process made it while we waited
                return target
            fp32 = folder / "model-onnx.onnx"
            if not is_valid(fp32):
                _export(model_dir, fp32)
                _describe(fp32)
            if variant == "onnx-int8":
                _quantize(fp32, target)
                _describe(target)
    except ModelLoadError:
        raise
    except Exception as exc:  # an exporter failure is one line for the user, with the way out
        raise ModelLoadError(
            f"could not export {model_dir} to ONNX ({type(exc).__name__}: {exc}); QA_ENCODER=torch avoids ONNX"
        ) from exc
    return target


def _export(model_dir: str, target: Path) -> None:
    """The transformer as an fp32 ONNX graph (token embeddings out; pooling stays in numpy), with
    ONNX Runtime's BERT fusions (one Attention node per layer, SkipLayerNorm, BiasGelu) applied."""
    raw = target.with_name(f"raw-{target.name}")
    try:
        _torch_export(model_dir, raw)
        _fuse(model_dir, raw, target)
    finally:
        raw.unlink(missing_ok=True)


def _fuse(model_dir: str, raw: Path, target: Path) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    cfg = json.loads((Path(model_dir) / "config.json").read_text("utf-8"))
    fused = optimize_model(
        str(raw),
        model_type="bert",
        num_heads=int(cfg["num_attention_heads"]),
        hidden_size=int(cfg["hidden_size"]),
        opt_level=1,
    )
    with store.written_beside(target) as part:
        fused.save_model_to_file(str(part))


def _torch_export(model_dir: str, target: Path) -> None:
    import torch
    from transformers import AutoModel

    # "eager" attention traces to the classic MatMul/Softmax pattern that ONNX Runtime fuses; the
    # default (sdpa) traced to Where/IsNaN masking that took a quarter of the int8 model's time
    model = AutoModel.from_pretrained(model_dir, local_files_only=True, attn_implementation="eager").eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.long)
    args = (sample, torch.ones_like(sample), torch.zeros_like(sample))
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "token_embeddings")}
    # torch 2.13's default (dynamo) exporter needs onnxscript, which is not installed: the TorchScript
    # exporter (dynamo=False) handles BERT fine
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenEmbeddings(model),
            args,
            str(target),
            input_names=list(INPUTS),
            output_names=["token_embeddings"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def _quantize(fp32: Path, target: Path) -> None:
    """Dynamic int8 weights. Per-channel scales: per-tensor ones gave cosine 0.96 mean / 0.89 min with
    the fp32 vectors on corpus paragraphs; per-channel 0.993 / 0.979 at the same speed."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser logs a "consider pre-processing" warning on root
    try:
        with store.written_beside(target) as part:
            # the fused nodes (Attention, ...) are outside shape inference: their outputs are float
            quantize_dynamic(
                str(fp32),
                str(part),
                weight_type=QuantType.QInt8,
                per_channel=True,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
    finally:
        root.setLevel(level)
