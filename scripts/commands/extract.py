"""`ascent extract FILE.html --json`: main text, title, publish date and language of a page."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from common.errors import InputError
from scripts.exits import EXIT_OK

NAME = "extract"
HELP = "Extract title, publish date, language and main text from a saved HTML file."
MAX_FILE_BYTES = 20_000_000


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="HTML file to read ('-' for stdin)")
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"title", "published", "language", "text"} as one JSON object',
    )
    parser.add_argument("--url", default=None, help="the page's URL (helps find its date)")
    parser.add_argument("--content-type", default=None, help="the Content-Type header it was served with")


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read(MAX_FILE_BYTES)
    with Path(source).open("rb") as handle:
        return handle.read(MAX_FILE_BYTES)


def main(args: argparse.Namespace) -> int:
    source: str = args.file
    if source.lower().startswith(("http://", "https://")):
        raise InputError(
            "reads a saved file, not a URL (pages are fetched by the crawler); "
            "save the page and pass its path, or '-' for stdin"
        )
    try:
        data = _read(source)
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from exc

    from signals.extract import extract_html

    page = extract_html(data, url=args.url, content_type=args.content_type)
    if args.json:
        print(json.dumps(page.as_json(), ensure_ascii=False))
    else:
        for label, value in (
            ("title", page.title),
            ("published", page.published),
            ("language", page.language),
        ):
            print(f"{label}: {value or '-'}")
        print()
        print(page.text)
    return EXIT_OK
