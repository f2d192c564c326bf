"""qa.loader: the seed corpus, each file format, each skip reason, and corpus-level errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from qa.errors import CorpusError
from qa.loader import LoadError, load_corpus, load_file

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
STORY = "The council approved the new bridge on Monday after a long debate about its cost."


def reasons(skipped) -> dict[str, str]:
    return {s.path: s.reason for s in skipped}


def check_segments(doc, raw: str) -> None:
    for cs, rs, n in doc.segments:
        assert doc.text[cs : cs + n] == raw[rs : rs + n]


@pytest.fixture(scope="module")
def seeds():
    docs, skipped = load_corpus(CORPUS)
    return {d.doc_id[:3]: d for d in docs}, skipped


def test_seed_corpus_loads_sorted_with_verbatim_segments(seeds):
    docs, skipped = seeds
    assert sorted(docs) == ["000", "001", "002", "003", "004"] and skipped == []
    for doc in docs.values():
        raw = (CORPUS / doc.path).read_text(encoding="utf-8-sig")
        check_segments(doc, raw)
        assert doc.source == doc.path == doc.doc_id
        assert len(doc.content_hash) == 64 and doc.title and len(doc.title) <= 151


def test_seed_date_prefix_becomes_date_and_leaves_text(seeds):
    docs, _ = seeds
    for key in ("000", "003"):
        assert docs[key].date == "2024-01-10"
        assert not docs[key].title.lower().startswith("date")
        assert "2024-01-10" not in docs[key].text
    assert docs["003"].title.startswith("In late December")


def test_seed_dateline_and_titles(seeds):
    docs, _ = seeds
    assert docs["004"].date == "2024-08-14"
    assert docs["004"].title.startswith("Lithuanian Defense Minister meets Zelenskyy")
    assert docs["002"].title.startswith("Zelenskyy asks NATO states")  # not the "Russia Ukraine conflict" label
    assert docs["001"].title.startswith("Zelensky seeks air defence help")
    assert docs["001"].date is None and docs["002"].date is None
    assert "We need your help now" not in docs["001"].text and "Warehouses are empty." in docs["001"].text
    assert "Become a Patron!" not in docs["004"].text
    assert "Advertisement" not in docs["002"].text and "Read more:" not in docs["002"].text


def test_markdown_front_matter(tmp_path):
    raw = f"---\ntitle: Bridge vote\ndate: 2023-05-02\nurl: https://example.com/bridge\n---\n# Heading\n\n{STORY}\n"
    (tmp_path / "a.md").write_text(raw, encoding="utf-8")
    [doc] = load_file(tmp_path / "a.md", tmp_path)
    assert (doc.title, doc.date, doc.source, doc.path) == (
        "Bridge vote",
        "2023-05-02",
        "https://example.com/bridge",
        "a.md",
    )
    assert "title:" not in doc.text and STORY in doc.text
    check_segments(doc, raw)


def test_malformed_front_matter_is_body_text(tmp_path):
    raw = f"---\ntitle: [unclosed\n---\n{STORY}\n"
    (tmp_path / "b.markdown").write_text(raw, encoding="utf-8")
    [doc] = load_file(tmp_path / "b.markdown", tmp_path)
    assert STORY in doc.text and doc.date is None


def test_html_title_date_and_main_text(tmp_path):
    html = (
        "<html><head><title>Bridge approved</title><meta name='date' content='2023-05-02'>"
        "<link rel='canonical' href='https://example.com/bridge'></head><body><nav>Home | News</nav>"
        f"<article><p>{STORY}</p><p>Work will start in June, officials said.</p></article></body></html>"
    )
    (tmp_path / "p.html").write_text(html, encoding="utf-8")
    (tmp_path / "empty.htm").write_text("<html><body><div></div></body></html>", encoding="utf-8")
    docs, skipped = load_corpus(tmp_path)
    [doc] = docs
    assert doc.title == "Bridge approved" and doc.date == "2023-05-02"
    assert doc.source == "https://example.com/bridge" and STORY in doc.text and "Home | News" not in doc.text
    assert reasons(skipped) == {"empty.htm": "no text after cleaning"}


def test_json_object_and_list(tmp_path):
    rec = {"id": "x1", "title": "Bridge", "date": "May 2, 2023", "url": "https://e.com/1", "body": STORY}
    (tmp_path / "one.json").write_text(json.dumps(rec), encoding="utf-8")
    (tmp_path / "many.json").write_text(json.dumps([{"text": STORY}, {"title": "no text"}]), encoding="utf-8")
    (tmp_path / "wrap.json").write_text(json.dumps([{"article": STORY, "id": 7}]), encoding="utf-8")
    docs, skipped = load_corpus(tmp_path)
    by_id = {d.doc_id: d for d in docs}
    assert sorted(by_id) == ["many.json#1", "one.json#x1", "wrap.json#7"]
    one = by_id["one.json#x1"]
    assert (one.title, one.date, one.source, one.path) == ("Bridge", "2023-05-02", "https://e.com/1", "one.json")
    assert by_id["many.json#1"].source == "many.json"
    assert reasons(skipped) == {"many.json#2": "record has no text field"}


def test_jsonl_bad_line_is_skipped_and_good_lines_indexed(tmp_path):
    lines = [json.dumps({"text": STORY, "id": 5}), "{not json", "", json.dumps({"content": "Second story text."})]
    (tmp_path / "f.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, skipped = load_corpus(tmp_path)
    assert [d.doc_id for d in docs] == ["f.jsonl#4", "f.jsonl#5"]
    [bad] = skipped
    assert bad.path == "f.jsonl:2" and bad.reason.startswith("invalid JSON")
    check_segments(docs[1], STORY)


def test_every_bad_file_kind_is_skipped_with_its_reason(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "good.txt").write_text(STORY, encoding="utf-8")
    (corpus / "sub" / "bom.txt").write_bytes(b"\xef\xbb\xbf" + STORY.encode())
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.md").write_text(" \n\n\t", encoding="utf-8")
    (corpus / "bin.txt").write_bytes(b"abc\x00def")
    (corpus / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (corpus / "big.txt").write_text("word " * 100, encoding="utf-8")
    (corpus / "img.png").write_bytes(b"\x89PNG")
    (corpus / "bad.json").write_text("{oops", encoding="utf-8")
    (corpus / "noise.txt").write_text("Advertisement\n\nTop Content Trending", encoding="utf-8")
    (corpus / ".hidden.txt").write_text(STORY, encoding="utf-8")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "x.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "outside.txt").write_text(STORY, encoding="utf-8")
    os.symlink(tmp_path / "outside.txt", corpus / "escape.txt")
    os.symlink(corpus / "good.txt", corpus / "inside.txt")
    docs, skipped = load_corpus(corpus, max_file_bytes=300)
    assert [d.doc_id for d in docs] == ["good.txt", "sub/bom.txt"]
    assert docs[1].text == STORY  # BOM stripped
    got = reasons(skipped)
    assert got.pop("bad.json").startswith("invalid JSON")
    assert got == {
        "empty.txt": "empty",
        "blank.md": "empty",
        "bin.txt": "binary",
        "latin1.txt": "not UTF-8",
        "big.txt": "too large (500 bytes > 300)",
        "img.png": "unsupported type .png",
        "noise.txt": "no text after cleaning",
        "escape.txt": "symlink leaving the corpus",
        "inside.txt": "duplicate of good.txt",
    }


def test_load_file_raises_load_error_for_unusable_file(tmp_path):
    (tmp_path / "x.txt").write_bytes(b"")
    with pytest.raises(LoadError, match="empty"):
        load_file(tmp_path / "x.txt", tmp_path)


def test_missing_not_a_dir_and_empty_corpus_raise(tmp_path):
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "f.txt").write_text(STORY, encoding="utf-8")
    with pytest.raises(CorpusError, match="not a directory"):
        load_corpus(tmp_path / "f.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no indexable documents"):
        load_corpus(tmp_path / "empty")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.bin").write_bytes(b"\x00")
    with pytest.raises(CorpusError, match=r"no indexable documents.*1 file"):
        load_corpus(tmp_path / "junk")


def test_jsonl_export_larger_than_the_file_limit_is_streamed_with_a_limit_per_record(tmp_path):
    good = [json.dumps({"id": i, "title": f"Story {i}", "text": f"{STORY} Item {i}."}) for i in range(40)]
    lines = (
        good[:10]
        + [json.dumps({"id": "big", "text": "word " * 200})]
        + good[10:20]
        + ["x" * 5000]
        + good[20:30]
        + [b"\xff\xfe bad bytes".decode("latin-1")]
        + good[30:]
    )
    raw = "\n".join(lines) + "\n"
    (tmp_path / "export.jsonl").write_bytes(
        raw.encode("utf-8").replace("\xff\xfe bad bytes".encode(), b"\xff\xfe bad bytes")
    )
    assert len(raw) > 300  # the whole file is far over the limit; each good record is under it
    docs, skipped = load_corpus(tmp_path, max_file_bytes=300)
    assert len(docs) == 40 and all(d.path == "export.jsonl" for d in docs)
    got = reasons(skipped)
    assert got["export.jsonl:11"] == "too large (1000 bytes > 300)"  # the record's text
    assert got["export.jsonl:22"].startswith("too large (5001 bytes > 1800)")  # the line, never parsed
    assert got["export.jsonl:33"] == "not UTF-8"
    assert len(got) == 3


def test_nothing_indexable_names_each_skipped_file_and_why(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"\x00")
    (tmp_path / "b.txt").write_bytes(b"")
    (tmp_path / "c.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(CorpusError) as err:
        load_corpus(tmp_path)
    msg = str(err.value)
    assert "\n" not in msg
    for part in ("3 file(s) skipped", "a.bin: unsupported type .bin", "b.txt: empty", "c.txt: not UTF-8"):
        assert part in msg


def test_loading_reports_progress_in_bytes_to_the_end(tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(f"{STORY} Number {i}.", encoding="utf-8")
    (tmp_path / "x.jsonl").write_text(json.dumps({"text": STORY}) + "\n", encoding="utf-8")
    calls = []
    load_corpus(tmp_path, progress=lambda done, total, label: calls.append((done, total, label)))
    total = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert calls[-1] == (total, total, "Reading articles")
    assert all(0 <= d <= t for d, t, _ in calls)


def test_lines_repeated_across_many_articles_of_a_corpus_are_dropped_and_story_kept(tmp_path):
    """An outlet's furniture (a short line in many of its articles) goes; story text stays, including a
    line two articles share and a long paragraph syndicated to every article; offsets stay verbatim."""
    footer = "Get the Morning Brief delivered to your inbox every weekday"
    shared = "The council will meet again next month."
    syndicated = (
        "A wire story paragraph that every paper reprinted in full, long enough to be story text "
        "rather than page furniture, about rainfall, rivers and the dams that feed the city. "
    ) * 2
    raws = {}
    for i in range(6):
        body = [
            f"Story {i}: the mayor of Town{i} opened a bridge on Monday.",
            syndicated.strip(),
            footer,
            f"Residents of Town{i} welcomed it, the {i}th such opening this year.",
        ]
        if i < 2:
            body.insert(2, shared)
        raws[f"a{i}.txt"] = "\n\n".join(body) + "\n"
        (tmp_path / f"a{i}.txt").write_text(raws[f"a{i}.txt"], encoding="utf-8")
    docs, skipped = load_corpus(tmp_path)
    assert len(docs) == 6 and not skipped
    for doc in docs:
        assert footer not in doc.text
        assert "opened a bridge" in doc.text and "welcomed it" in doc.text and syndicated.strip() in doc.text
        check_segments(doc, raws[doc.path])
    assert sum(shared in d.text for d in docs) == 2  # in two articles only: not a template


def test_a_one_line_record_corpus_has_no_template_lines(tmp_path):
    lines = [
        json.dumps({"id": i, "text": f"Same words in every record number {i}. Sign up now for more."}) for i in range(5)
    ]
    (tmp_path / "r.jsonl").write_text("\n".join(lines), encoding="utf-8")
    docs, _ = load_corpus(tmp_path)
    assert len(docs) == 5 and all("Same words" in d.text for d in docs)
