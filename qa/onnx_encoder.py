"""The embedding model run by ONNX Runtime: `tokenizers` + `onnxruntime` + numpy pooling, no torch.

`OnnxEmbedder(info)` takes a qa.model_info.ModelInfo whose encoder is 'onnx' (fp32) or 'onnx-int8',
finds (or, once, makes: qa.onnx_export) the model file in the cache, and encodes like
sentence-transformers: tokenise with the model's tokenizer.json (truncated at its max_seq_length),
mean-pool every token embedding ([CLS]/[SEP] included) under the attention mask, L2-normalise.
`encode_spans` also returns late-pooled vectors of character spans (qa.pooling). With onnx-int8, a
call of at most SMALL_BATCH texts (a question) runs the fp32 file, which the int8 export also keeps,
and larger calls (builds) run int8. Importing this
module or running it never imports torch, transformers or sentence_transformers. It does not chunk
or index.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from . import pooling
from .errors import ModelLoadError
from .model_info import ModelInfo
from .onnx_export import INPUTS, ensure_onnx

WORKERS = min(2, os.cpu_count() or 1)  # batches encoded at once (see _make_session)
# Calls of at most SMALL_BATCH texts (questions) run the fp32 graph even for onnx-int8: int8 quantises
# activations with one scale per call, which is coarse for a lone question, and on the news set the
# int8 question vector lifted "Who is Russia's defence minister?" over the abstention threshold
# (confidence 0.421, torch 0.414, fp32 question on the same int8 index 0.412). One question in fp32
# costs a few ms; builds (large calls) keep int8.
SMALL_BATCH = 4


class OnnxEmbedder:
    def __init__(self, info: ModelInfo, cache_dir=None):
        if info.encoder not in ("onnx", "onnx-int8"):
            raise ValueError(f"OnnxEmbedder runs 'onnx' or 'onnx-int8', not {info.encoder!r}")
        self.name, self.fingerprint, self.dim = info.name, info.fingerprint, info.dim
        self.max_tokens, self.spec, self.encoder, self.path = info.max_tokens, info.spec, info.encoder, info.path
        self._info = info
        self.model_file = ensure_onnx(info.path, info.fingerprint, info.encoder, cache_dir)
        # the int8 export makes the fp32 file on the way, so this finds it
        self.query_file = ensure_onnx(info.path, info.fingerprint, "onnx", cache_dir)
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(Path(info.path) / "tokenizer.json"))
        self._tok.enable_truncation(self.max_tokens + 2)  # as sentence-transformers: max_seq_length
        pad = self._tok.token_to_id("[PAD]") or 0
        self._tok.enable_padding(pad_id=pad, pad_token=self._tok.id_to_token(pad) or "[PAD]")
        self._sessions: dict = {}
        self._pool: ThreadPoolExecutor | None = None  # started on the first multi-batch call

    def _session(self, n_texts: int):
        path = self.query_file if n_texts <= SMALL_BATCH else self.model_file
        if path not in self._sessions:
            self._sessions[path] = self._make_session(path)
        return self._sessions[path]

    def _make_session(self, path):
        """One single-threaded session, shared by up to WORKERS batches at once (ONNX Runtime's run()
        is thread-safe and releases the GIL). Batch-level parallelism instead of intra-op threads:
        with 4-5 other jobs on the 2 cores, two intra-op threads made int8 encoding slower than one
        (contending threads wait on each other at every op), and a question, which is one small
        batch, always runs on the calling thread alone."""
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting on a shared CPU
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        try:
            return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a file that hashes right but does not load: say where it is
            raise ModelLoadError(f"could not load the ONNX model {path}: {exc}; delete it to export it again") from exc

    def count_tokens(self, text: str) -> int:
        return self._info.count_tokens(text)

    def _run(self, texts: list[str], session):
        encs = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        hidden = session.run(None, dict(zip(INPUTS, (ids, mask, np.zeros_like(ids)), strict=True)))[0]
        return hidden, mask.sum(axis=1), encs

    def _results(self, payloads: list[list[str]], session):
        """_run over `payloads` in order, at most WORKERS at a time (never all hidden states at once)."""
        run = functools.partial(self._run, session=session)
        if len(payloads) < 2 or WORKERS < 2:
            yield from map(run, payloads)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="qa-onnx")
        todo, pending = iter(payloads), deque[Future]()
        for payload in itertools.islice(todo, WORKERS):
            pending.append(self._pool.submit(run, payload))
        while pending:
            done = pending.popleft().result()
            for payload in itertools.islice(todo, 1):
                pending.append(self._pool.submit(run, payload))
            yield done

    def _token_batches(self, texts: list[str], batch_size: int):
        """Yield (text index, unpadded token embeddings, encoding) for every text, shortest first so
        a batch pads little; a call of one build batch is split so that every worker gets a share."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        size = max(1, min(batch_size, -(-len(order) // WORKERS)))
        groups = [order[lo : lo + size] for lo in range(0, len(order), size)]
        payloads = [[texts[i] for i in g] for g in groups]
        results = self._results(payloads, self._session(len(texts)))
        for idx, (hidden, lengths, encs) in zip(groups, results, strict=True):
            for row, (i, enc) in enumerate(zip(idx, encs, strict=True)):
                yield i, hidden[row, : int(lengths[row])], enc

    def encode(self, texts, batch_size=64, show_progress=False):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, tokens, _ in self._token_batches(list(texts), batch_size):
            out[i] = pooling.text_vector(tokens)
        return out

    def encode_spans(self, texts, spans_per_text, batch_size=64):
        """(text vectors, [span vectors per text]); spans are (start, end) character offsets in each text."""
        texts = list(texts)
        text_vecs = np.zeros((len(texts), self.dim), dtype=np.float32)
        span_vecs: list[list] = [[] for _ in texts]
        for i, tokens, enc in self._token_batches(texts, batch_size):
            n = len(tokens)
            text_vecs[i] = pooling.text_vector(tokens)
            span_vecs[i] = pooling.span_vectors(tokens, enc.offsets[:n], enc.special_tokens_mask[:n], spans_per_text[i])
        return text_vecs, pooling.fill_missing(span_vecs, texts, spans_per_text, self.encode, self.dim)
