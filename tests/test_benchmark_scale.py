"""The scale benchmark still runs end to end on a small synthetic archive: it writes an index straight into
the store, loads it, asks, checks dense recall and adds then deletes one article through the real build
(a benchmark that silently broke would leave issue 13's figures unreproducible). No timing is asserted."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import scale  # noqa: E402
import scale_data as sd  # noqa: E402


def test_scale_measure_runs_on_a_small_archive(tmp_path):
    index_dir = tmp_path / "index"
    sd.write_index(index_dir, 600, sd.WordSumEmbedder(sd.vocabulary()))
    row = scale.measure(index_dir, 5)
    assert row["recall_at_10"] == 1.0  # exact search below the HNSW threshold
    assert row["add_one_embedded"] > 0  # the new article went through the encoder protocol
    assert row["delete_one_removed"] == 1
    assert row["p50_ms"] > 0 and row["load_s"] > 0


def test_scale_measure_from_a_cold_page_cache_leaves_the_index_unchanged(tmp_path):
    index_dir = tmp_path / "index"
    sd.write_index(index_dir, 600, sd.WordSumEmbedder(sd.vocabulary()), dense="hnsw")
    before = sorted(p.name for p in index_dir.glob("generations/*"))
    row = scale.measure(index_dir, 5, cold=True, updates=False)
    assert row["cold"] and row["evicted_gb"] > 0  # every file of the index was dropped from the cache
    assert row["first_ask_ms"] > 0 and row["recall_at_10"] > 0.9  # the HNSW graph read ahead loads whole
    assert "add_one_s" not in row
    assert sorted(p.name for p in index_dir.glob("generations/*")) == before  # no build ran


def test_ef_sweep_runs_on_a_small_archive(tmp_path, capsys):
    import ef_sweep

    index_dir = tmp_path / "index"
    sd.write_index(index_dir, 600, sd.WordSumEmbedder(sd.vocabulary()), dense="hnsw")
    argv = [str(index_dir), "--ef", "16", "64", "--seeds", "7", "--questions", "5"]
    assert ef_sweep.main(argv) == 0
    assert ef_sweep.main([*argv, "--graph", str(tmp_path / "m8.faiss"), "--m", "8"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("efSearch")]
    assert len(lines) == 4 and all("recall@10" in line for line in lines)
    assert (tmp_path / "m8.faiss").exists()  # the other graph was built once and searched
