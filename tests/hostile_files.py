"""Small generators for a corpus of hostile files (nothing big is committed; the test writes them).

`make_hostile_corpus(root)` writes the files under `root` and returns the expectations: for each
doc_id that must be indexed, a phrase its clean text must contain; for each skipped path (a file,
or `file:line` / `file#n` for a record), a regex its reason must match. Every entry in either map
is one hostile case. Special files (FIFO, symlink loops) are made only where the OS allows them.
"""
from __future__ import annotations

import codecs
import json
import os
from pathlib import Path

STORY = "The harbour council approved the new pier on Monday after a long debate about its cost."
MB = 1024 * 1024


def _story(n: int) -> str:
    return f"Article {n}. " + STORY.replace("pier", f"pier number {n}")


def _text_files(root: Path, indexed: dict, skipped: dict) -> None:
    w = lambda name, data: (root / name).write_bytes(data)  # noqa: E731
    w("binary_nul.txt", bytes(range(256)) * 64)
    skipped["binary_nul.txt"] = r"^binary$"
    w("png_named.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2048))
    skipped["png_named.txt"] = r"^binary$"
    w("high_bytes.txt", bytes(range(0x80, 0x100)) * 40)
    skipped["high_bytes.txt"] = r"^not UTF-8"
    w("nul_after_probe.txt", (STORY + "\n").encode() * 200 + b"\x00 tail")
    skipped["nul_after_probe.txt"] = r"^binary$"
    w("utf16_bom.txt", codecs.BOM_UTF16_LE + _story(1).encode("utf-16-le"))
    indexed["utf16_bom.txt"] = "pier number 1"
    w("utf16_be_bom.txt", codecs.BOM_UTF16_BE + _story(2).encode("utf-16-be"))
    indexed["utf16_be_bom.txt"] = "pier number 2"
    w("utf16_no_bom.txt", _story(3).encode("utf-16-le"))
    indexed["utf16_no_bom.txt"] = "pier number 3"
    w("utf32_bom.txt", codecs.BOM_UTF32_LE + _story(4).encode("utf-32-le"))
    indexed["utf32_bom.txt"] = "pier number 4"
    w("utf8_bom.txt", codecs.BOM_UTF8 + _story(5).encode())
    indexed["utf8_bom.txt"] = "pier number 5"
    w("latin1.txt", "Caf\u00e9 owners in Li\u00e8ge said the fa\u00e7ade was na\u00efve.".encode("latin-1"))
    skipped["latin1.txt"] = r"^not UTF-8"
    w("crlf.txt", f"Pier vote\r\n\r\n{_story(6)}\r\nThe mayor said work starts in May.\r\n".encode())
    indexed["crlf.txt"] = "The mayor said work starts in May."
    w("cr_only.txt", f"Pier vote\r\r{_story(7)}\rThe mayor said work starts in June.\r".encode())
    indexed["cr_only.txt"] = "work starts in June."
    w("controls.txt", f"\x1b]0;pwned\x07\x1b[2J{_story(8)} \x1b[31mRed\x1b[0m text.\x0c\n".encode())
    indexed["controls.txt"] = "pier number 8"
    w("empty.txt", b"")
    skipped["empty.txt"] = r"^empty$"
    w("whitespace.md", b" \n\t\r\n   \n")
    skipped["whitespace.md"] = r"^empty$"
    w("zero_sentences.txt", b"* * *\n---\n...\n")
    skipped["zero_sentences.txt"] = r"^no text after cleaning$"
    w("no_extension", STORY.encode())
    skipped["no_extension"] = r"unsupported type \(no extension\)"
    w("report.pdf", b"%PDF-1.4\n" + STORY.encode())
    skipped["report.pdf"] = r"unsupported type \.pdf"
    w("SHOUTING.TXT", _story(9).encode())
    indexed["SHOUTING.TXT"] = "pier number 9"
    w("dup_a.txt", _story(10).encode())
    w("dup_b.txt", _story(10).encode())
    indexed["dup_a.txt"] = indexed["dup_b.txt"] = "pier number 10"
    w("one_long_word.txt", b"Pier " + b"x" * 300_000 + b" ends here.")
    indexed["one_long_word.txt"] = "ends here."
    w("zalgo.txt", ("Pi\u0301\u0301\u0301er " * 2000 + _story(11)).encode())
    indexed["zalgo.txt"] = "pier number 11"
    w("yaml_bomb.md", b"---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      b"title: *d\n---\n" + _story(12).encode())
    indexed["yaml_bomb.md"] = "pier number 12"
    w("line\nbreak \u202etxt.md".encode("utf-8").decode("utf-8"), _story(13).encode())
    indexed["line\nbreak \u202etxt.md"] = "pier number 13"


def _big_files(root: Path, indexed: dict, skipped: dict) -> None:
    with open(root / "huge_line.txt", "wb") as fh:  # a single 50 MB line
        fh.write(b"word " * (10 * MB))
    skipped["huge_line.txt"] = r"^too large"
    with open(root / "huge_line.jsonl", "wb") as fh:  # good, 50 MB line, good
        fh.write(json.dumps({"id": "a", "text": _story(20)}).encode() + b"\n")
        fh.write(b'{"id": "big", "text": "' + b"word " * (10 * MB) + b'"}\n')
        fh.write(json.dumps({"id": "c", "text": _story(21)}).encode() + b"\n")
    indexed["huge_line.jsonl#a"], indexed["huge_line.jsonl#c"] = "pier number 20", "pier number 21"
    skipped["huge_line.jsonl:2"] = r"^too large"
    # ~2.5 MB of markup around 300 short paragraphs (sentence splitting, not parsing, is what costs
    # time on long text: ~25 KB/s on a busy machine)
    junk = "<span class='x' style='" + "color:red;" * 200 + "' data-x='" + "y" * 4000 + "'></span>"
    body = "".join(f"<p>Paragraph {i}. {STORY}</p>{junk}\n" for i in range(300))
    (root / "huge.html").write_text(f"<html><head><title>Huge page</title></head><body><article>{body}"
                                    "</article></body></html>", encoding="utf-8")
    indexed["huge.html"] = "Paragraph 299."


def _html_files(root: Path, indexed: dict, skipped: dict) -> None:
    nested = "<div>" * 10_000 + f"<p>{_story(30)}</p>" + "</div>" * 10_000
    (root / "nested.html").write_text(f"<html><body>{nested}</body></html>", encoding="utf-8")
    skipped["nested.html"] = r"^HTML nested too deeply"
    deep = "<div>" * 1000 + f"<p>{_story(32)}</p>" + "</div>" * 1000  # deeper than libxml2's default 256
    (root / "nested_1000.html").write_text(f"<html><body>{deep}</body></html>", encoding="utf-8")
    indexed["nested_1000.html"] = "pier number 32"
    (root / "scripts.html").write_text(
        "<html><head><title>Pier vote</title><script>alert('head')</script>"
        "<script src='http://198.51.100.7/x.js'></script><style>p{color:red}</style></head><body>"
        "<img src='http://198.51.100.7/pixel.png' onerror=\"alert('img')\">"
        f"<article><p>{_story(31)}</p><p>Read <a href=\"javascript:alert('a')\">more</a> on the pier.</p>"
        "<script>document.write('<p>injected text</p>')</script>"
        "<iframe src='http://198.51.100.7/frame'></iframe><p>Work starts in July.</p></article>"
        "</body></html>", encoding="utf-8")
    indexed["scripts.html"] = "pier number 31"
    (root / "only_script.html").write_text("<html><body><script>alert(1)</script></body></html>")
    skipped["only_script.html"] = r"^no text after cleaning$"


def _record_files(root: Path, indexed: dict, skipped: dict) -> None:
    (root / "wrong_schema.json").write_text(json.dumps({"headline": "x", "paragraphs": [STORY]}))
    skipped["wrong_schema.json#1"] = r"no text field"
    (root / "wrong_types.json").write_text(json.dumps([1, "text", None, {"text": 5}, {"text": _story(40)}]))
    for n in (1, 2, 3, 4):
        skipped[f"wrong_types.json#{n}"] = r"no text field"
    indexed["wrong_types.json#5"] = "pier number 40"
    (root / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    skipped["deep.json"] = r"^JSON nested too deeply$"
    (root / "truncated.json").write_text(json.dumps([{"text": STORY}])[:-5])
    skipped["truncated.json"] = r"^invalid JSON"
    lines = [json.dumps({"id": "g1", "text": _story(41)}).encode(), b'{"id": "bad", "text": ',
             json.dumps({"id": "g2", "text": _story(42)}).encode(), b'{"text": "caf\xe9"}',
             json.dumps({"id": "g1", "text": _story(43)}).encode(), b"[1, 2, 3]",
             json.dumps({"id": "g3", "text": _story(44)}).encode(), b"[" * 100_000 + b"]" * 100_000,
             json.dumps({"id": "g4", "text": _story(46)}).encode()]
    (root / "one_bad_line.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    indexed.update({"one_bad_line.jsonl#g1": "pier number 41", "one_bad_line.jsonl#g2": "pier number 42",
                    "one_bad_line.jsonl#g3": "pier number 44", "one_bad_line.jsonl#g4": "pier number 46"})
    skipped.update({"one_bad_line.jsonl:2": r"^invalid JSON", "one_bad_line.jsonl:4": r"^not UTF-8$",
                    "one_bad_line.jsonl:5": r"duplicate record id g1", "one_bad_line.jsonl:6": r"no text field",
                    "one_bad_line.jsonl:8": r"^JSON nested too deeply$"})
    (root / "surrogates.jsonl").write_text(
        json.dumps({"id": "s1", "text": "Lone \ud800 surrogate. " + _story(45)}) + "\n", encoding="utf-8")
    indexed["surrogates.jsonl#s1"] = "pier number 45"


def _special_files(root: Path, indexed: dict, skipped: dict) -> None:
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "fifo.txt")  # opening it for reading would block forever
        skipped["fifo.txt"] = r"^not a regular file$"
    (root / "loop_a.txt").symlink_to("loop_b.txt")
    (root / "loop_b.txt").symlink_to("loop_a.txt")
    skipped["loop_a.txt"] = skipped["loop_b.txt"] = r"symlink"
    (root / "self_loop.md").symlink_to("self_loop.md")
    skipped["self_loop.md"] = r"symlink"
    (root / "sub").mkdir()
    (root / "sub" / "inner.txt").write_text(_story(50))
    indexed["sub/inner.txt"] = "pier number 50"
    (root / "sub" / "up").symlink_to("..", target_is_directory=True)  # a folder loop inside the corpus
    (root / "escape.txt").symlink_to("/etc/hostname")
    skipped["escape.txt"] = r"symlink leaving the corpus"
    (root / "to_inner.txt").symlink_to("sub/inner.txt")
    skipped["to_inner.txt"] = r"duplicate of sub/inner.txt"
    try:  # a name that is not valid UTF-8 (Linux allows any bytes but "/" and NUL)
        open(os.path.join(os.fsencode(root), b"bad-name-\xff.txt"), "wb").write(_story(51).encode())
        skipped["bad-name-\ufffd.txt"] = r"file name is not valid UTF-8"
    except OSError:
        pass


def make_hostile_corpus(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Write the hostile corpus; returns ({doc_id: phrase in its text}, {skipped path: reason regex})."""
    root.mkdir(parents=True, exist_ok=True)
    indexed: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for make in (_text_files, _big_files, _html_files, _record_files, _special_files):
        make(root, indexed, skipped)
    return indexed, skipped
