"""Signing in and partner scopes in real headless Chromium (Debian's chromium via Playwright).

A viewer of P1 signs in and sees only P1's customers on every page, in every download and in
My reports (a report they build holds only P1's rows); another partner's customer, report and
file answer 404; an executive sees both partners; signing out ends the session; a form posted
without its CSRF token is refused.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import CHROMIUM, serving_ui, shot
from tests.support.partner_world import (
    MONTH,
    P1_CUSTOMERS,
    P2_CUSTOMERS,
    PASSWORD,
    PartnerWorld,
    partner_world_in,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]
LIST = f"/customers?month={MONTH}&area=Azure"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PartnerWorld]:
    db = tmp_path_factory.mktemp("signin-browser") / "ascent.db"
    return db, partner_world_in(db)


@pytest.fixture(scope="module")
def ui(world: tuple[Path, PartnerWorld]) -> Iterator[str]:
    from scripts.web.app import create_app

    with serving_ui(create_app(world[0])) as url:
        yield url


def _sign_in(page: Any, ui: str, name: str, wanted: str = "/matrix") -> None:
    page.goto(f"{ui}{wanted}")
    assert "/login?next=" in page.url  # no session yet: the sign-in page first
    shot(page, "signin-login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("#signin")
    page.wait_for_url(f"{ui}{wanted}")
    assert name in page.locator("#signed-in-as").inner_text()


def _ids(html: str) -> set[str]:
    return set(re.findall(r'href="/customers/(C\d)', html))


def _csv_ids(body: str) -> set[str]:
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    return {row[0] for row in rows[1:]}


def test_a_p1_viewer_sees_only_p1_everywhere(browser: Any, ui: str, world: tuple[Path, PartnerWorld]) -> None:
    built = world[1]
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    _sign_in(page, ui, "vera")
    assert not any(name in page.content() for name in P2_CUSTOMERS.values())  # the matrix
    page.goto(f"{ui}{LIST}")
    assert _ids(page.content()) == set(P1_CUSTOMERS)
    shot(page, "signin-viewer-customers")
    page.goto(f"{ui}/signals")
    assert _ids(page.content()) == set(P1_CUSTOMERS)
    assert _csv_ids(context.request.get(f"{ui}/customers.csv?month={MONTH}&area=Azure").text()) == set(
        P1_CUSTOMERS
    )

    # Direct URLs to P2's customer, report and file: 404, like things that do not exist.
    assert page.goto(f"{ui}/customers/C3").status == 404
    assert context.request.get(f"{ui}/reports/{built.p2_report}/files/{built.p2_file}").status == 404

    # My reports: only vera's; a report she builds now holds only P1's rows.
    page.goto(f"{ui}/reports")
    assert page.locator(f"#report-{built.p1_report}").count() == 1
    assert page.locator(f"#report-{built.p2_report}").count() == 0
    page.select_option("#r-source", "azure")
    page.fill("#r-columns", "CustomerID,AccountName")
    page.select_option("#r-month", MONTH)
    page.fill("#r-name", "every customer I may see")
    page.click("#r-download")
    page.wait_for_url("**/reports#report-*")
    deadline = time.monotonic() + 60
    while (row := page.locator("tr.my-report").first).get_attribute("data-status") != "done":
        assert time.monotonic() < deadline, "the report was not built in time"
        time.sleep(0.3)
        page.goto(f"{ui}/reports")
    with page.expect_download() as started:
        row.locator("a.download-link").click()
    assert _csv_ids(Path(started.value.path()).read_text(encoding="utf-8")) == set(P1_CUSTOMERS)
    shot(page, "signin-viewer-reports")

    # A form posted without its CSRF token is refused.
    page.locator('#report-form input[name="csrf_token"]').evaluate("field => field.remove()")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#r-preview")
    assert posted.value.status == 403

    # Signing out ends the session: the pages ask to sign in again.
    page.goto(f"{ui}/signals")
    page.click("#signout")
    page.wait_for_url(f"{ui}/login")
    page.goto(f"{ui}{LIST}")
    assert "/login?next=" in page.url
    assert (
        context.request.get(f"{ui}/reports/{built.p1_report}/files/{built.p1_file}", max_redirects=0).status
        == 303
    )
    context.close()


def test_an_executive_sees_both_partners(browser: Any, ui: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    _sign_in(page, ui, "erin", LIST)
    assert _ids(page.content()) == set(P1_CUSTOMERS) | set(P2_CUSTOMERS)
    assert page.goto(f"{ui}/customers/C3").status == 200
    shot(page, "signin-executive-customers")
    context.close()
