"""The Reports pages over HTTP: CSRF on every form, 400 for a bad choice, downloads as
attachments with the right types, no way to reach another file through ids, escaped preview."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from scripts.web.app import create_app
from storage.store import open_store
from tests.support.forms import form_token
from tests.support.report_world import MONTH, report_world


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("hub-web") / "ascent.db"

    async def build() -> None:
        async with await open_store(db) as store:
            await report_world(store)

    asyncio.run(build())
    with TestClient(create_app(db)) as opened:
        yield opened


def _form(token: str, action: str, **extra: str) -> dict[str, str]:
    return {"csrf_token": token, "action": action, "source": "azure", "columns": "CustomerID,AccountName",
            "month": MONTH, "format": "csv", **extra}  # fmt: skip


def _wait_done(client: TestClient, report_id: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page = client.get("/reports").text
        link = re.search(rf'href="(/reports/{report_id}/files/\d+)"', page)
        if link:
            return link.group(1)
        time.sleep(0.1)
    raise AssertionError("not built")


def test_forms_need_the_csrf_token(client: TestClient) -> None:
    token = form_token(client, "/reports")
    assert client.post("/reports", data=_form("", "preview")).status_code == 403
    assert client.post("/reports", data=_form(token + "x", "preview")).status_code == 403
    # The right token without its cookie (another site's page) is refused too.
    cookies = dict(client.cookies)
    client.cookies.clear()
    try:
        assert client.post("/reports", data=_form(token, "preview")).status_code == 403
    finally:
        client.cookies.update(cookies)
    assert client.post("/reports", data=_form(token, "preview")).status_code == 200
    # Everything else stays read-only.
    assert client.post("/customers", data={}).status_code == 405
    assert client.put("/reports", data={}).status_code == 405


def test_bad_choices_are_400_with_one_message(client: TestClient) -> None:
    token = form_token(client, "/reports")
    page = client.post("/reports", data=_form(token, "download", columns="CustomerID,Bogus"))
    assert page.status_code == 400 and "unknown column(s) for azure: Bogus" in page.text
    page = client.post("/reports", data=_form(token, "preview", cluster="Nope"))
    assert page.status_code == 400 and "unknown cluster" in page.text
    page = client.post("/reports", data=_form(token, "preview", source="gcp"))
    assert page.status_code == 400 and "unknown data source" in page.text


def test_preview_escapes_crawled_and_imported_text(client: TestClient) -> None:
    token = form_token(client, "/reports")
    page = client.post("/reports", data=_form(token, "preview", columns="CustomerID,AccountName,WhyNow"))
    assert page.status_code == 200
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;click&#34;)" in page.text
    assert '<a href="http://evil.example"' not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_download_is_an_attachment_and_ids_reach_only_own_files(client: TestClient) -> None:
    token = form_token(client, "/reports")
    created = client.post("/reports", data=_form(token, "download", format="xlsx", name="../../etc/passwd"),
                          follow_redirects=False)  # fmt: skip
    assert created.status_code == 303
    report_id = created.headers["location"].rsplit("-", 1)[1]
    link = _wait_done(client, report_id)
    got = client.get(link)
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "/" not in disposition.split("filename=")[1]
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.content.startswith(b"PK")
    file_id = link.rsplit("/", 1)[1]
    assert client.get(f"/reports/{int(report_id) + 1}/files/{file_id}").status_code == 404
    assert client.get(f"/reports/{report_id}/files/..%2F..%2Fascent.db").status_code == 404
    # Delete: the definition and its file are gone.
    assert client.post(f"/reports/{report_id}/delete", data={"csrf_token": token}).status_code == 200
    assert client.get(link).status_code == 404


def test_only_urlencoded_forms_of_bounded_size(client: TestClient) -> None:
    token = form_token(client, "/reports")
    assert client.post("/reports", json={"csrf_token": token}).status_code == 415
    big = client.post("/reports", data={"csrf_token": token, "name": "x" * 70_000})
    assert big.status_code == 413


def test_report_folder_is_beside_the_database(client: TestClient, tmp_path: Path) -> None:
    hub = client.app.state.hub  # type: ignore[attr-defined]
    from scripts.report_hub import reports_folder

    assert (
        reports_folder(hub.store, hub.settings)
        == Path(hub.store.db.path).resolve().parent / "reports" / "hub"
    )
