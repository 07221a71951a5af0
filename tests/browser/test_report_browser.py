"""The downloads hub in real headless Chromium (Debian's chromium, driven by Playwright).

A partner creates a report with six chosen columns and two filters, previews it, downloads
it as CSV and XLSX (exactly those columns in that order, only the filtered rows), schedules
it, and after `ascent monthly` finds the scheduled file under My reports.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.cli import main as cli
from storage.store import open_store
from tests.support.browser import CHROMIUM, serving_ui, shot
from tests.support.report_world import MONTH, report_world

COLUMNS = ["AzureIntent", "CustomerID", "AccountName", "Country", "PotentialRevenue", "AzureCluster"]
KEPT = ["C2", "C3"]  # industry Manufacturing in the US; C1's industry is something else

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]


@pytest.fixture(scope="module")
def hub_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hub-browser") / "ascent.db"

    async def build() -> None:
        async with await open_store(db) as store:
            await report_world(store)

    _in_thread(lambda: asyncio.run(build()))
    return db


def _in_thread(call: Any) -> Any:
    """Run ``call`` where no event loop runs (Playwright's sync API holds this thread's)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


@pytest.fixture(scope="module")
def ui(hub_db: Path) -> Iterator[str]:
    from scripts.web.app import create_app

    with serving_ui(create_app(hub_db)) as url:
        yield url


def _fill(page: Any, month: str, fmt: str) -> None:
    page.select_option("#r-source", "azure")
    page.fill("#r-columns", ",".join(COLUMNS))
    page.select_option("#r-month", month)
    page.fill("#r-name", "US manufacturing")
    page.select_option("#r-format", fmt)
    page.fill("#r-industry", "Manufacturing")
    page.fill("#r-country", "US")


def _wait_done(page: Any, ui: str, selector: str) -> Any:
    deadline = time.monotonic() + 60
    while True:
        page.goto(f"{ui}/reports")
        row = page.locator(selector).first
        if row.count() and row.get_attribute("data-status") == "done":
            return row
        assert time.monotonic() < deadline, "the report was not built in time"
        time.sleep(0.3)


def _download(page: Any, row: Any, into: Path) -> Path:
    with page.expect_download() as started:
        row.locator("a.download-link").click()
    target = into / started.value.suggested_filename
    started.value.save_as(str(target))
    return target


def test_create_preview_download_schedule(browser: Any, ui: str, hub_db: Path, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{ui}/reports")

    # Preview: the chosen columns in order, only the filtered rows.
    _fill(page, MONTH, "csv")
    page.click("#r-preview")
    page.wait_for_selector("#preview")
    assert page.locator("#preview thead th").all_text_contents() == COLUMNS
    ids = [row.locator("td").nth(1).text_content() for row in page.locator("tr.preview-row").all()]
    assert ids == KEPT
    shot(page, "reports-preview")

    # Download now (CSV): built in the background, then downloaded from My reports.
    page.click("#r-download")
    page.wait_for_url("**/reports#report-*")
    row = _wait_done(page, ui, "tr.my-report")
    csv_file = _download(page, row, tmp_path)
    assert csv_file.suffix == ".csv"
    rows = list(csv.reader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0] == COLUMNS
    assert [r[1] for r in rows[1:]] == KEPT

    # Download now (XLSX), opened back with openpyxl.
    _fill(page, MONTH, "xlsx")
    page.click("#r-download")
    page.wait_for_url("**/reports#report-*")
    row = _wait_done(page, ui, "tr.my-report")
    xlsx_file = _download(page, row, tmp_path)
    sheet = openpyxl.load_workbook(xlsx_file).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == COLUMNS
    assert [r[1] for r in values[1:]] == KEPT
    assert all(isinstance(r[0], int | float) for r in values[1:])  # intent is a number cell

    # Schedule: waiting until the next monthly run, which builds it.
    _fill(page, "", "csv")
    page.fill("#r-name", "Monthly US manufacturing")
    page.click("#r-schedule")
    page.wait_for_url("**/reports#report-*")
    waiting = page.locator('tr.my-report[data-status="scheduled"]')
    assert waiting.count() == 1 and "Monthly US manufacturing" in waiting.inner_text()
    assert _in_thread(lambda: cli(["--db", str(hub_db), "monthly", "--month", MONTH])) == 0
    row = _wait_done(page, ui, "tr.my-report")
    assert "Monthly US manufacturing" in row.inner_text() and MONTH in row.inner_text()
    scheduled = _download(page, row, tmp_path)
    rows = list(csv.reader(io.StringIO(scheduled.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0] == COLUMNS and [r[1] for r in rows[1:]] == KEPT
    shot(page, "reports-my-reports")
    context.close()
