"""Bytes of an article file -> text, or a LoadError saying why not.

Strict UTF-8 (a leading BOM dropped); UTF-16 and UTF-32 when a BOM says so, or UTF-16 without a BOM
when its NUL bytes sit exactly where mostly-ASCII text saved as UTF-16 puts them. NUL bytes anywhere
else mean "binary". Legacy code pages (Latin-1, Windows-1252, ...) are refused, never guessed: a wrong
guess would index mojibake and quote it as the article's words. It reads no files (qa.loader does).
"""

from __future__ import annotations

import codecs

from qa.metadata import LoadError

PROBE = 8192  # bytes looked at to recognise BOM-less UTF-16
# UTF-32 first: its little-endian BOM starts with UTF-16's
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(data: bytes) -> str:
    """Strict UTF-8 (a BOM is dropped); UTF-16/32 only when a BOM says so, or for UTF-16 text whose
    NUL bytes sit exactly where ASCII text saved as UTF-16 puts them. Anything else is refused:
    guessing a legacy code page could index mojibake, and quotes must be the article's own words."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                raise LoadError(f"not valid {codec.upper()}") from None
    utf16 = _bomless_utf16(data[:PROBE])
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            raise LoadError("binary") from None
    if b"\x00" in data:  # anywhere, not just near the start: NULs are never article text
        raise LoadError("binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError("not UTF-8") from None


def _bomless_utf16(probe: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte is NUL (mostly-ASCII UTF-16), else None."""
    if len(probe) < 8 or len(probe) % 2:
        return None
    even, odd = probe[0::2], probe[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None
