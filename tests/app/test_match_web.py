"""The CRM matching page: upload with a CSRF token, summary, escaped rows, attachment download."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from intent.crm_file import OUTPUT_COLUMNS
from scripts.web import match as match_page
from scripts.web.app import create_app
from scripts.web.csrf import COOKIE, FIELD
from tests.support.match_world import seed_two_customers

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("match-web") / "ascent.db"
    asyncio.run(seed_two_customers(path))
    with TestClient(create_app(path), base_url="http://testserver") as test_client:
        yield test_client


def _token(client: TestClient) -> str:
    page = client.get("/match")
    assert page.status_code == 200
    found = re.search(rf'name="{FIELD}" value="([^"]+)"', page.text)
    assert found and client.cookies.get(COOKIE) == found.group(1)
    return found.group(1)


CRM = (
    f"Website,Account Name,Notes\r\nhttps://www.contoso.co.uk/,Contoso,{HOSTILE}\r\n,FABRIKAM INC,=1+1\r\n"
    ",Nobody,\r\n"
).encode()


def _upload(client: TestClient, content: bytes, token: str | None, name: str = "my crm.csv", **headers: str):
    data = {FIELD: token} if token is not None else {}
    return client.post("/match", data=data, files={"crm": (name, content, "text/csv")}, headers=headers)


def test_nav_links_to_the_page(client: TestClient) -> None:
    assert 'href="/match"' in client.get("/match").text


def test_upload_shows_summary_and_escaped_rows_and_offers_the_download(client: TestClient) -> None:
    response = _upload(client, CRM, _token(client))
    assert response.status_code == 200
    page = response.text
    assert "3 rows, 2 matched" in page
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    link = re.search(r'href="(/match/[A-Za-z0-9_-]+\.csv)"', page)
    assert link
    download = client.get(link.group(1))
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="matched-my_crm.csv"'
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == ["Website", "Account Name", "Notes", *OUTPUT_COLUMNS]
    assert rows[1][3:5] == ["C1", "domain"]
    assert rows[2][2:5] == ["'=1+1", "C2", "name"]
    assert rows[3][4] == "none"


def test_post_without_the_token_is_refused(client: TestClient) -> None:
    _token(client)
    response = _upload(client, CRM, None)
    assert response.status_code == 403 and "rows," not in response.text
    assert _upload(client, CRM, "x" * 43).status_code == 403


def test_post_from_another_origin_is_refused(client: TestClient) -> None:
    token = _token(client)
    assert _upload(client, CRM, token, origin="https://evil.example").status_code == 403


def test_post_with_a_null_origin_needs_only_the_token(client: TestClient) -> None:
    # Under the UI's no-referrer policy Chromium sends "Origin: null" with the form.
    assert _upload(client, CRM, _token(client), origin="null").status_code == 200
    assert _upload(client, CRM, "y" * 43, origin="null").status_code == 403


def test_bad_file_lists_its_problems(client: TestClient) -> None:
    response = _upload(client, b"Owner,Phone\r\nann,1\r\n", _token(client), name="../../etc/x.csv")
    assert response.status_code == 400
    assert "x.csv:1: header: no recognisable column" in response.text
    response = _upload(client, "Account Name\r\nMüller\r\n".encode("latin-1"), _token(client))
    assert response.status_code == 400 and "not UTF-8" in response.text


def test_too_big_upload_is_refused_before_it_is_read(client: TestClient, monkeypatch) -> None:
    monkeypatch.setattr(match_page, "MAX_UPLOAD_BYTES", 100)
    response = _upload(client, b"Account Name\r\n" + b"Contoso\r\n" * 20_000, _token(client))
    assert response.status_code == 413


def test_unknown_download_is_not_found(client: TestClient) -> None:
    assert client.get("/match/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.csv").status_code == 404


def test_other_pages_stay_read_only(client: TestClient) -> None:
    assert client.post("/signals").status_code == 405
