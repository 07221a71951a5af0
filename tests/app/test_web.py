"""The analyst web UI over a real SQLite file: every page, filters, sorting, CSV, escaping."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from scripts.web.app import CONTENT_SECURITY_POLICY, create_app
from scripts.web.settings import WebSettings
from tests.support.web_rows import (
    AREAS,
    FORMULA_NAME,
    MONTHS,
    expected_cell_counts,
    revenue,
    scores,
    seed_file,
)

LINK = "https://contoso.example/careers/cloud"


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_file(tmp_path_factory.mktemp("web") / "ascent.db", LINK)


@pytest.fixture(scope="module")
def client(seeded_db: Path) -> Iterator[TestClient]:
    app = create_app(seeded_db, web=WebSettings(page_size=3, feed_page_size=2))
    with TestClient(app) as test_client:
        yield test_client


def rows_of(html: str) -> list[str]:
    """Customer ids of the list's rows, in order."""
    return re.findall(r'href="/customers/(C\d+)\?month=', html)


def test_root_redirects_to_the_matrix(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/matrix"


def test_matrix_counts_every_cell_and_links_to_its_list(client: TestClient) -> None:
    response = client.get("/matrix?area=Azure")
    assert response.status_code == 200
    html = response.text
    assert f'<option value="{MONTHS[-1]}" selected>' in html  # latest month by default
    for cell, count in expected_cell_counts().items():
        block = re.search(rf'data-cell="{cell}".*?class="cell-count">([\d,]+)<', html, re.S)
        assert block is not None, cell
        assert int(block.group(1)) == count
    assert 'href="/customers?month=2026-11&amp;area=Azure&amp;cell=A1"' in html
    # Clusters summarise the cells: A1 x2 + A2 + A3 are "Act now".
    assert re.search(r"Act now</span></a></td>\s*<td class=\"r\">4</td>", html)


def test_matrix_of_an_older_month_and_other_area(client: TestClient) -> None:
    html = client.get(f"/matrix?area=M365&month={MONTHS[0]}").text
    total = sum(expected_cell_counts("M365", MONTHS[0]).values())
    assert f"{total} customers · {MONTHS[0]}" in html
    assert 'aria-current="true" class="active">M365<' in html


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/matrix", "/customers", "/customers/C001", "/signals", "/static/app.css", "/nope"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "script-src 'none'" in CONTENT_SECURITY_POLICY


def test_read_only_methods(client: TestClient) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.request(method, "/customers")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD"
    head = client.head("/customers")
    assert head.status_code == 200
    assert head.content == b""


def test_list_sorted_by_intent_then_fit_then_revenue(client: TestClient) -> None:
    nov = MONTHS[-1]

    def order(key: str, descending: bool) -> list[str]:
        from tests.support.web_rows import CUSTOMERS

        def value(cid: str) -> float:
            fit, intent = scores(cid, "Azure", nov)
            return {"intent": intent, "fit": fit, "revenue": revenue(cid, "Azure")}[key]

        ids = [c[0] for c in CUSTOMERS]
        return sorted(ids, key=lambda cid: (value(cid), cid), reverse=descending)

    for key in ("intent", "fit", "revenue"):
        for direction in ("desc", "asc"):
            seen: list[str] = []
            for page in (1, 2, 3):
                html = client.get(f"/customers?area=Azure&sort={key}&dir={direction}&page={page}").text
                seen += rows_of(html)
            assert seen == order(key, direction == "desc"), (key, direction)


def test_list_pagination_counts(client: TestClient) -> None:
    html = client.get("/customers?area=Azure").text
    assert "<strong>8</strong> customers" in html
    assert "page 1 of 3" in html
    assert (
        'rel="next" href="/customers?month=2026-11&amp;area=Azure&amp;sort=intent&amp;dir=desc&amp;page=2"'
        in html
    )
    last = client.get("/customers?area=Azure&page=3").text
    assert len(rows_of(last)) == 2
    beyond = client.get("/customers?area=Azure&page=9").text
    assert rows_of(beyond) == []
    assert "No customers match" in beyond


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cell=A1", {"C001", "C007"}),
        ("cluster=Act+now", {"C001", "C002", "C003", "C007"}),
        ("industry=Retail", {"C002", "C004"}),
        ("country=DE", {"C003", "C006"}),
        ("sub_segment=Mid-Market", {"C003", "C007"}),
        ("cohort=M365_Copilot", {"C001", "C003", "C007"}),
        ("flag=HasAzure", {"C003", "C007"}),
        ("cluster=Act+now&country=US&cohort=M365_Copilot", {"C001", "C007"}),
        ("industry=Nothing", set()),
        ("cluster=%3Cscript%3E", set()),
        ("q=northwind", {"C003"}),
        ("q=.example&country=GB", {"C002", "C008"}),
        ("q=100%25", set()),
    ],
)
def test_list_filters(client: TestClient, query: str, expected: set[str]) -> None:
    html = client.get(f"/customers?area=Azure&{query}").text
    total = int(re.search(r"<strong>([\d,]+)</strong> customers", html).group(1))  # type: ignore[union-attr]
    assert total == len(expected)
    seen: set[str] = set()
    for page in (1, 2):
        seen |= set(rows_of(client.get(f"/customers?area=Azure&{query}&page={page}").text))
    assert seen == expected


def test_list_escapes_customer_names(client: TestClient) -> None:
    html = client.get("/customers?area=Azure&industry=Retail").text
    assert "Fabrikam &lt;b&gt;Inc&lt;/b&gt;" in html
    assert "<b>Inc</b>" not in html


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-13",
        "month=1999-01",
        "area=Nowhere",
        "sort=name",
        "dir=up",
        "page=0",
        "page=abc",
        "cluster=" + "x" * 201,
        "cell=A1%3Cx",
        "flag=Nope",
        "industry=" + "x" * 300,
        "country=%01",
    ],
)
def test_bad_parameters_are_refused(client: TestClient, query: str) -> None:
    response = client.get(f"/customers?{query}")
    assert response.status_code == 400
    assert "Bad request" in response.text
    assert "<x" not in response.text


def test_csv_download_is_filtered_and_neutralised(client: TestClient) -> None:
    response = client.get("/customers.csv?area=Azure&sort=intent&dir=desc")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="customers-Azure-2026-11.csv"' in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 8  # the whole list, not one page
    assert rows[0]["CustomerID"] == "C005"  # intent 95, the highest
    assert rows[0]["AccountName"] == "'" + FORMULA_NAME
    assert rows[0]["Cell"] == "C2"
    assert rows[0]["PotentialRevenue"] == f"{revenue('C005', 'Azure'):.2f}"
    contoso = next(r for r in rows if r["CustomerID"] == "C001")
    assert contoso["Cohorts"] == "Azure_M365NoAzure;M365_Copilot"
    filtered = client.get("/customers.csv?area=Azure&cell=A1").content.decode("utf-8")
    assert sorted(r["CustomerID"] for r in csv.DictReader(io.StringIO(filtered.lstrip("\ufeff")))) == [
        "C001",
        "C007",
    ]


def test_customer_page_shows_scores_technographics_and_signals(client: TestClient) -> None:
    response = client.get("/customers/C001")
    assert response.status_code == 200
    html = response.text
    assert "Contoso Ltd" in html and "contoso.example" in html
    assert "Manufacturing" in html and "SMB Upper" in html
    assert "Microsoft 365 Business Standard" in html
    # Technographics with evidence, escaped.
    assert "Google Workspace" in html
    assert "MX aspmx.l.google.com &lt;script&gt;alert(4)&lt;/script&gt;" in html
    # Per-area scores with a history chart for each area.
    for area in AREAS:
        assert f'data-area="{area}"' in html
    assert html.count('<svg class="history"') == len(AREAS)
    assert html.count("<polyline") == 2 * len(AREAS)  # fit and intent, two months each
    assert "surge" in html
    # Each area's top contributions link to the signal on the same page.
    assert '<a href="#signal-1">hiring_tech</a>' in html and 'id="signal-1"' in html
    # The signal: highlighted passage, link, date, type, confidence, examples, why now.
    assert "<mark>hiring three cloud engineers</mark>" in html
    assert f'<a class="source-link" href="{LINK}" rel="noopener noreferrer nofollow"' in html
    assert "2026-11-03" in html and "hiring_tech" in html and "91% confidence" in html
    assert "We are recruiting a cloud engineer" in html
    assert "Posted this month: three open cloud roles." in html
    assert "HasM365 <b>Yes</b>" in html
    assert "product: Microsoft 365 Business Standard &lt;180 seats&gt;" in html  # flag evidence
    assert "M365_Copilot" in html


def test_customer_page_renders_hostile_crawled_text_inert(client: TestClient) -> None:
    html = client.get("/customers/C001").text
    body = html.split("<body>", 1)[1]
    assert "<script" not in body.lower()
    assert "<img" not in body.lower()
    assert not [h for h in re.findall(r'href="([^"]*)"', body) if not h.startswith(("/", "http", "#"))]
    # The passage is shown escaped, its key phrase marked AFTER escaping.
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in body
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in body
    # The javascript: URL is plain text, not a link.
    assert '<span class="source-text" title="not a web link">javascript:alert(3)</span>' in body
    assert "&lt;b&gt;Moving&lt;/b&gt;" in body
    assert "&lt;img src=x onerror=&#34;alert(5)&#34;&gt;" in body


def test_customer_page_of_an_older_month(client: TestClient) -> None:
    html = client.get(f"/customers/C003?month={MONTHS[0]}").text
    fit, intent = scores("C003", "Azure", MONTHS[0])
    assert f'Fit and intent by area <span class="muted">· {MONTHS[0]}' in html
    row = re.search(r'data-area="Azure">(.*?)</tr>', html, re.S)
    assert row is not None
    assert f'<span class="num">{fit:.0f}</span>' in row.group(1)
    assert f'<span class="num">{intent:.0f}</span>' in row.group(1)


def test_unknown_customer_is_404(client: TestClient) -> None:
    response = client.get("/customers/C999")
    assert response.status_code == 404
    assert "no such customer" in response.text
    assert client.get("/customers/" + "x" * 500).status_code == 404


def test_signal_feed_newest_first_with_filters_and_pages(client: TestClient) -> None:
    html = client.get("/signals").text
    ids = re.findall(r'data-signal-id="(\d+)"', html)
    assert ids == ["3", "1"]  # page size 2: 2026-11-10, 2026-11-03
    assert 'rel="next"' in html
    older = re.findall(r'data-signal-id="(\d+)"', client.get("/signals?page=2").text)
    assert older == ["2", "4"]
    by_type = client.get("/signals?type=funding").text
    assert re.findall(r'data-signal-id="(\d+)"', by_type) == ["3"]
    assert "Northwind Traders" in by_type
    by_area = re.findall(r'data-signal-id="(\d+)"', client.get("/signals?area=M365&page=1").text)
    assert by_area == ["3", "1"]
    assert client.get("/signals?type=bogus").status_code == 400


def test_static_files_and_health(client: TestClient) -> None:
    css = client.get("/static/app.css")
    assert css.status_code == 200
    assert "text/css" in css.headers["content-type"]
    assert "http" not in re.sub(r"/\*.*?\*/", "", css.text, flags=re.S)  # no external assets
    assert client.get("/healthz").text == "ok\n"


def test_empty_database_shows_how_to_start(tmp_path: Path) -> None:
    import asyncio
    import concurrent.futures

    from storage.store import open_store

    async def create() -> None:
        store = await open_store(tmp_path / "empty.db")
        await store.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create()).result()
    with TestClient(create_app(tmp_path / "empty.db")) as empty:
        matrix = empty.get("/matrix")
        assert matrix.status_code == 200
        assert "No monthly scores yet" in matrix.text
        assert "No monthly scores yet" in empty.get("/customers").text
        assert "No signals match" in empty.get("/signals").text
        assert empty.get("/customers.csv").status_code == 404


def test_app_over_an_open_store(seeded_db: Path) -> None:
    """create_app also takes an already open Store (the caller owns its lifetime)."""
    import asyncio
    import concurrent.futures

    from storage.store import open_store

    def run() -> None:
        async def main() -> None:
            store = await open_store(seeded_db)
            try:
                import httpx

                transport = httpx.ASGITransport(app=create_app(store))
                app = transport.app
                async with (
                    app.router.lifespan_context(app),  # type: ignore[attr-defined]
                    httpx.AsyncClient(transport=transport, base_url="http://ui") as c,
                ):
                    response = await c.get("/customers?area=Azure&cell=A1")
                    assert sorted(rows_of(response.text)) == ["C001", "C007"]
            finally:
                await store.close()

        asyncio.run(main())

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(run).result()


def test_pages_load_nothing_from_elsewhere(client: TestClient) -> None:
    """Works offline: stylesheets, icons and images come from the UI itself."""
    for path in ("/matrix", "/customers", "/customers/C001", "/signals"):
        html = client.get(path).text
        for tag in re.findall(r"<(?:link|script|img|iframe)\b[^>]*>", html):
            target = re.search(r'(?:href|src)="([^"]*)"', tag)
            assert target is not None and target.group(1).startswith(("/", "data:")), tag


def test_customer_ids_with_url_characters_round_trip(tmp_path: Path) -> None:
    import asyncio
    import concurrent.futures

    from storage.store import open_store

    odd = "ACME/42 ?#&<x>"

    async def create() -> None:
        store = await open_store(tmp_path / "odd.db")
        try:
            await store.db.execute(
                "INSERT INTO customers(customer_id, account_name, domain, org_size, sub_segment)"
                " VALUES (?, 'Acme', 'acme.example', 10, 'SMB')",
                (odd,),
            )
            await store.db.execute(
                "INSERT INTO propensity(customer_id, area, month, fit, fit_band, intent,"
                " intent_band, cell, cluster)"
                " VALUES (?, 'Azure', '2026-11', 80, 'High', 80, 'High', 'A1', 'Act now')",
                (odd,),
            )
        finally:
            await store.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create()).result()
    with TestClient(create_app(tmp_path / "odd.db")) as odd_client:
        html = odd_client.get("/customers").text
        href = re.search(r'class="customer-link" href="([^"]+)"', html)
        assert href is not None
        assert "<x>" not in href.group(1) and "?#" not in href.group(1)
        page = odd_client.get(href.group(1).replace("&amp;", "&"))
        assert page.status_code == 200
        assert "ACME/42 ?#&amp;&lt;x&gt;" in page.text
