"""The analyst UI in real headless Chromium (Debian's chromium, driven by Playwright).

An analyst opens the matrix, clicks a cell, filters the list, opens a customer, reads a
signal's highlighted passage and follows its source link (a loopback server stands in for the
crawled site). Crawled text with a script tag and a javascript: link must stay inert. Each
main page is saved as a screenshot under tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from tests.support.browser import CHROMIUM, serving_ui, shot
from tests.support.web_rows import HOSTILE_URL, seed_file

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium "
        "(`make browser` or `apt-get install chromium`)",
    ),
]


class SourceSite(BaseHTTPRequestHandler):
    """The crawled company page a signal links to; remembers the requests it saw."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        SourceSite.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        body = (
            b"<!doctype html><title>Cloud engineers wanted</title>"
            b"<h1>Contoso careers: three cloud engineers</h1>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def start_thread_server(server: Any) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SourceSite)
    start_thread_server(server)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def ui(site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from scripts.web.app import create_app
    from scripts.web.settings import WebSettings

    db = seed_file(tmp_path_factory.mktemp("browser") / "ascent.db", f"{site}/careers/cloud")
    with serving_ui(create_app(db, web=WebSettings(page_size=5))) as url:
        yield url


def test_analyst_journey_matrix_cell_filter_customer_signal_link(page: Any, ui: str, site: str) -> None:
    page.goto(f"{ui}/matrix?area=Azure")
    assert page.locator("svg.heatmap a.cell").count() == 16
    assert page.locator('a.cell[data-cell="A1"] .cell-count').text_content() == "2"
    shot(page, "matrix")

    # Click a cell: the list of that cell's customers.
    page.locator('a.cell[data-cell="A1"]').click()
    page.wait_for_url("**/customers?*cell=A1*")
    names = page.locator("a.customer-link").all_text_contents()
    assert sorted(names) == ["Contoso Ltd", "Wide World Importers"]

    # Filter the list: the cluster "Act now" in the US, then Manufacturing only.
    page.goto(f"{ui}/customers?area=Azure")
    assert page.locator("tr.row").count() == 5  # page size 5 of 8
    page.select_option("#f-cluster", "Act now")
    page.select_option("#f-country", "US")
    page.click("#apply-filters")
    page.wait_for_url("**cluster=Act+now**")
    assert sorted(page.locator("a.customer-link").all_text_contents()) == [
        "Contoso Ltd",
        "Wide World Importers",
    ]
    page.select_option("#f-industry", "Manufacturing")
    page.click("#apply-filters")
    page.wait_for_url("**industry=Manufacturing**")
    assert page.locator("a.customer-link").all_text_contents() == ["Contoso Ltd"]
    page.goto(f"{ui}/customers?area=Azure")
    shot(page, "customers")

    # Open the customer: its signal with the highlighted passage.
    page.goto(f"{ui}/customers?area=Azure&industry=Manufacturing&cluster=Act+now")
    page.click("text=Contoso Ltd")
    page.wait_for_url("**/customers/C001**")
    mark = page.locator("article.signal mark", has_text="hiring three cloud engineers")
    assert mark.count() == 1 and mark.is_visible()
    assert page.locator("svg.history").count() == 7
    shot(page, "customer")

    # Follow the source link: a new tab on the crawled page, without a Referer.
    link = page.locator("a.source-link", has_text="/careers/cloud")
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    SourceSite.seen.clear()
    with page.context.expect_page() as opened:
        link.click()
    source = opened.value
    source.wait_for_load_state()
    assert source.url == f"{site}/careers/cloud"
    assert source.title() == "Cloud engineers wanted"
    visits = [r for r in SourceSite.seen if r["path"] == "/careers/cloud"]
    assert visits and "referer" not in visits[0]  # Referrer-Policy: no-referrer
    assert page.dialogs == []


def test_hostile_crawled_text_and_javascript_links_are_inert(page: Any, ui: str) -> None:
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{ui}/customers/C001")
    hostile = page.locator("article.signal", has_text="Breaking news")
    # The script tag is visible as text, highlighted, and never executed.
    assert hostile.locator("mark").inner_text() == "<script>alert(1)</script>"
    assert 'onerror="alert(2)"' in hostile.locator("blockquote.passage").inner_text()
    assert page.locator("article.signal script, article.signal img").count() == 0
    # The javascript: URL is text, not a link; clicking it does nothing.
    assert page.locator('a[href^="javascript"]').count() == 0
    text = hostile.locator(".source-text")
    assert text.inner_text() == HOSTILE_URL
    text.click()
    hostile.locator("details.examples summary").click()
    assert hostile.locator("details.examples").inner_text().count('onerror="alert(5)"') == 1
    assert page.locator("td.evidence").inner_text().endswith("<script>alert(4)</script>")
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.evaluate("document.scripts.length") == 0
    assert not [v for v in violations if "Content Security Policy" in v]


def test_signal_feed_filters(page: Any, ui: str) -> None:
    page.goto(f"{ui}/signals")
    assert page.locator("article.signal").count() == 4
    page.select_option("#f-type", "funding")
    page.click("#signal-filters button[type=submit]")
    page.wait_for_url("**type=funding**")
    assert page.locator("article.signal").count() == 1
    assert page.locator("article.signal mark").inner_text() == "closed a $20M Series B"
    page.goto(f"{ui}/signals")
    shot(page, "signals")
    assert page.dialogs == []
