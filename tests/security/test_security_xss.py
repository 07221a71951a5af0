"""Hostile crawled text through every place an analyst reads it: `ascent explain` (JSON and
terminal) and the web UI. Rows are written straight into a real SQLite store, the way the
classifier and the monthly run write them.

Expectations: JSON output is valid JSON that round-trips the text exactly; terminal output
carries no escape sequence from the data and shows rich markup literally; HTML escapes every
payload and links only to http(s).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console
from starlette.testclient import TestClient

from scripts.cli import main as cli_main
from storage.store import open_store
from tests.support.hostile_db import (
    ANSI,
    ATTRIBUTE_BREAK,
    CUSTOMER,
    DOMAIN,
    HOSTILE,
    JS_URL,
    MARKUP,
    MONTH,
    SCRIPT,
)

PAYLOADS = (SCRIPT, ATTRIBUTE_BREAK, JS_URL, ANSI, MARKUP)







# --- ascent explain ------------------------------------------------------------------------


def test_explain_json_is_valid_and_keeps_the_text_exactly(
    hostile_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["--db", str(hostile_db), "explain", DOMAIN, "--json"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)  # valid JSON despite quotes, brackets and control characters
    assert report["domain"] == DOMAIN
    passages = {s["passage"] for s in report["signals"]}
    assert HOSTILE in passages  # data, not rendering: the JSON carries the exact text
    assert "\x1b" not in out and "\x07" not in out, "raw control bytes (must be \\u001b escapes)"


def test_explain_json_escapes_c1_controls(hostile_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--db", str(hostile_db), "explain", DOMAIN, "--json"]) == 0
    out = capsys.readouterr().out
    assert not re.search(r"[\x7f-\x9f]", out)


def test_explain_piped_output_has_no_escape_sequences_and_literal_markup(
    hostile_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["--db", str(hostile_db), "explain", DOMAIN]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
    assert "[bold red]loud[/bold red]" in out  # shown, not interpreted
    assert "<script>alert(1)</script>" in out  # plain text on a terminal is fine
    assert "RED" in out  # the visible text of the escape sequence stays


def test_explain_on_a_terminal_styles_only_what_it_means_to(hostile_db: Path) -> None:
    """Forced terminal: rich may emit its own SGR colours, but never the data's sequences."""
    from scripts.explain_view import render
    from scripts.lookups import explanation
    from storage.views import SqliteViewQueries

    async def load():  # type: ignore[no-untyped-def]
        store = await open_store(hostile_db)
        try:
            return await SqliteViewQueries(store.db).customer(CUSTOMER, None, 1000)
        finally:
            await store.close()

    detail = asyncio.run(load())
    buffer = StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=400)
    render(explanation(DOMAIN, CUSTOMER, detail), detail, console=console)
    out = buffer.getvalue()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)  # rich's own colour codes
    assert "\x1b" not in plain, "an escape sequence other than rich's own SGR colours"
    assert "\x1b]" not in out and "\x1b[2J" not in out and "\x9b" not in out and "\x07" not in out
    assert "\x1b]8;" not in out, "a hyperlink escape came from [link=...] markup in the data"
    assert "[bold red]loud[/bold red]" in plain


# --- web UI --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(hostile_db: Path) -> Iterator[TestClient]:
    from scripts.web.app import create_app

    with TestClient(create_app(hostile_db)) as test_client:
        yield test_client


def _pages(client: TestClient) -> dict[str, str]:
    urls = [
        f"/customers/{CUSTOMER}?month={MONTH}",
        f"/customers?month={MONTH}&area=Azure",
        f"/matrix?month={MONTH}&area=Azure",
        f"/signals?month={MONTH}",
    ]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.text
    return pages


class _Tags(HTMLParser):
    """Every real tag and attribute of a page, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text.append(data)


def test_web_pages_escape_every_payload(client: TestClient) -> None:
    pages = _pages(client)
    customer_page = pages[f"/customers/{CUSTOMER}?month={MONTH}"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in customer_page  # shown, escaped
    for url, html in pages.items():
        parser = _Tags()
        parser.feed(html)
        for tag, attrs in parser.tags:
            assert not any(name.startswith("on") for name in attrs), f"{url}: <{tag} {attrs}>"
            assert not (tag == "img" and attrs.get("src") == "x"), f"{url}: injected <img>"
            for name in ("href", "src", "action", "formaction"):
                value = attrs.get(name, "").strip().lower()
                assert not value.startswith(("javascript:", "vbscript:")), f"{url}: {name}={value}"
        assert "alert(" not in "".join(parser.script_text), f"{url}: injected script"


def test_web_links_only_point_at_web_pages(client: TestClient) -> None:
    html = client.get(f"/customers/{CUSTOMER}?month={MONTH}").text
    hrefs = re.findall(r"""<a\b[^>]*\bhref\s*=\s*["']([^"']*)["']""", html, re.I)
    assert hrefs
    for href in hrefs:
        assert href.startswith(("/", "#", "?", "http://", "https://")), href
    # The hostile-but-http(s) URL is linked with its quote escaped, so it cannot break out.
    assert f'href="https://{DOMAIN}/a?q=&#34;&gt;&lt;img' in html or (
        f"https://{DOMAIN}/a?q=&#34;&gt;&lt;img" in html or f"https://{DOMAIN}/a?q=&quot;&gt;&lt;img" in html
    )


def test_web_error_pages_escape_the_requested_path(client: TestClient) -> None:
    response = client.get(f"/customers/{SCRIPT}")
    assert response.status_code in (400, 404)
    assert "<script>alert(1)" not in response.text
    response = client.get("/matrix", params={"area": SCRIPT, "month": ATTRIBUTE_BREAK})
    assert "<script>alert(1)" not in response.text and "<img src=x" not in response.text
