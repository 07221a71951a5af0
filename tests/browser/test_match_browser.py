"""The CRM matching page in real headless Chromium: upload, summary, inert hostile cells, download."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from intent.crm_file import OUTPUT_COLUMNS
from tests.support.browser import CHROMIUM, serving_ui, shot
from tests.support.match_world import seed_two_customers

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]

CRM = (
    "Account Name,Website,Notes\r\n"
    "Contoso,https://www.contoso.co.uk/,<img src=x onerror=alert(1)>\r\n"
    'Fabrikam Inc.,,=HYPERLINK("http://x")\r\n'
    "Unknown Corp,unknown.example.com,\r\n"
)


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from scripts.web.app import create_app

    db = tmp_path_factory.mktemp("match-browser") / "ascent.db"
    # Playwright's sync API may already run an event loop in this thread.
    seeding = threading.Thread(target=asyncio.run, args=(seed_two_customers(db),))
    seeding.start()
    seeding.join()
    with serving_ui(create_app(db)) as url:
        yield url


def test_upload_a_crm_file_see_the_summary_and_download_it_matched(
    browser: Any, ui: str, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.goto(f"{ui}/matrix")
        page.click("text=CRM matching")
        page.wait_for_url("**/match")
        crm = tmp_path / "crm.csv"
        crm.write_text(CRM, encoding="utf-8")
        page.set_input_files("#crm-file", str(crm))
        page.click("#match-submit")
        page.wait_for_selector("#match-summary, #match-problems")
        assert page.locator("#match-problems").count() == 0, page.locator("#match-problems").text_content()
        assert "3 rows, 2 matched" in page.locator("#match-summary h2").text_content()
        cells = page.locator("#match-rows tbody tr").first.locator("td").all_text_contents()
        assert cells[0] == "Contoso" and cells[2] == "<img src=x onerror=alert(1)>" and cells[3] == "C1"
        assert page.locator("#match-rows img").count() == 0
        shot(page, "match")
        with page.expect_download() as started:
            page.click("#match-download")
        saved = tmp_path / "matched.csv"
        started.value.save_as(saved)
        assert started.value.suggested_filename == "matched-crm.csv"
        rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
        assert rows[0] == ["Account Name", "Website", "Notes", *OUTPUT_COLUMNS]
        assert [row[4] for row in rows[1:]] == ["domain", "name", "none"]
        assert rows[2][2].startswith("'=")
        assert dialogs == []
    finally:
        context.close()
