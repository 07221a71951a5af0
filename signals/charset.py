"""Decode fetched HTML bytes into text, the way browsers do, but forgiving of wrong labels.

Order: byte-order mark, then valid UTF-8 (a page that decodes cleanly as UTF-8 is UTF-8
whatever its label says: mislabelled Latin-1 headers are common), then the HTTP
``Content-Type`` charset, then a ``<meta charset>`` in the first bytes, then a statistical
guess (charset_normalizer on a bounded sample), then Windows-1252. Invalid bytes never raise:
they become U+FFFD. NUL characters are removed because no page means them as text.
"""

from __future__ import annotations

import codecs
import re

# WHATWG maps these labels to windows-1252; Python's latin-1 would turn 0x80-0x9F into
# control characters instead of the curly quotes and dashes the pages mean.
_LABEL_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "x-sjis": "shift_jis",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_META_SCAN_BYTES = 4096
_GUESS_SAMPLE_BYTES = 16_384
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:\-]{1,40})", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,500}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]{1,40})", re.IGNORECASE
)


def normalize_label(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _LABEL_ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name)
    except LookupError:
        return None
    # A page can't really be UTF-16 once we got here without a BOM: the label is lying.
    if codec.name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return codec.name


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HTTP_CHARSET.search(content_type)
    return normalize_label(match.group(1)) if match else None


def charset_from_meta(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:_META_SCAN_BYTES])
    if not match:
        return None
    return normalize_label(match.group(1).decode("ascii", "replace"))


def _guess(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:_GUESS_SAMPLE_BYTES]).best()
    except Exception:  # a guesser must never take the page down with it
        return None
    return normalize_label(best.encoding) if best is not None else None


def detect_encoding(data: bytes, content_type: str | None = None) -> str:
    """The codec name that :func:`decode_html` would use for these bytes."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # Truncated input may cut a multi-byte character in its last few bytes.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    declared = charset_from_content_type(content_type) or charset_from_meta(data)
    if declared and declared != "utf-8":
        return declared
    return _guess(data) or "cp1252"


def decode_html(data: bytes | str, content_type: str | None = None) -> str:
    """Text of an HTML document; never raises. Invalid bytes become U+FFFD, NULs vanish."""
    text = data if isinstance(data, str) else _decode(data, content_type)
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def _decode(data: bytes, content_type: str | None) -> str:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace")
    try:
        return data.decode("utf-8")  # the common case: one pass, nothing more to decide
    except UnicodeDecodeError:
        pass
    encoding = detect_encoding(data, content_type)
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("cp1252", errors="replace")
