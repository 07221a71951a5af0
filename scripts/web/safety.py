"""Rendering crawled text safely: escaping first, markup second; links only to web pages.

Everything crawled (passages, key phrases, URLs, technology evidence) is hostile. Markup is
only ever added to text that has already been escaped, and only http(s) URLs become links.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from intent.reports import neutralise

MAX_URL_CHARS = 2048


def highlight(passage: str, key_phrase: str) -> Markup:
    """The passage, escaped, with every occurrence of the key phrase wrapped in <mark>.

    Matching happens on the raw text and each piece is escaped on its own, so the phrase can
    never introduce or split markup. Matching ignores case and runs of whitespace.
    """
    phrase = " ".join(key_phrase.split())
    if not phrase or not passage:
        return Markup(escape(passage))
    pattern = re.compile(r"\s+".join(re.escape(word) for word in phrase.split(" ")), re.IGNORECASE)
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(passage):
        if match.end() == match.start():
            continue
        pieces.append(str(escape(passage[position : match.start()])))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        position = match.end()
    pieces.append(str(escape(passage[position:])))
    return Markup("".join(pieces))


def safe_href(url: str | None) -> str | None:
    """The URL when it may be a link target (absolute http or https), else None."""
    if not url or len(url) > MAX_URL_CHARS:
        return None
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def neutralise_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not evaluate as a formula (the reports' rule)."""
    return "" if value is None else str(neutralise(value))
