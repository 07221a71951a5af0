"""One customer per registrable domain, no duplicate headers, streamed all-or-nothing loads.

Issue #20 finding 3: `silverport-homes.se` and `www.silverport-homes.se` were imported as two
customers (every URL crawled and stored twice) and a duplicated CSV header silently used its
last column. Finding 7: an import took ~8x the file's size in memory; it now streams.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.cli import main
from storage.customers import ImportRecord, Product
from storage.store import Store
from tests.support.import_rows import GOOD, HEADER


def run(tmp_path: Path, kind: str, text: str, db: Path | None = None) -> int:
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    return main(["--db", str(db or tmp_path / "a.db"), "import", kind, str(path)])


def customer_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT customer_id FROM customers ORDER BY 1")]


def errors(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if not line.startswith("ascent import:")]


def test_two_customers_on_one_registrable_domain_in_a_file_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD + "C004,Fabrikam Web,https://www.fabrikam.com/,12,Legal,,Austin,TX,,US,no,0,P1,N\n"
    assert run(tmp_path, "customers", text) == 2
    assert errors(capsys) == [
        f"{tmp_path / 'customers.csv'}:5: Domain: 'fabrikam.com' is already the domain of CustomerID "
        "'C002' on line 3; one customer per registrable domain"
    ]
    assert customer_ids(tmp_path / "a.db") == []


def test_a_new_customer_on_a_stored_customers_domain_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "a.db"
    assert run(tmp_path, "customers", GOOD, db) == 0
    capsys.readouterr()
    text = HEADER + "C009,Contoso Shop,shop.contoso.co.uk,5,Retail,,,,,GB,no,0,P1,N\n"
    assert run(tmp_path, "customers", text, db) == 2
    assert errors(capsys) == [
        f"{tmp_path / 'customers.csv'}:2: Domain: 'contoso.co.uk' is already the domain of stored "
        "customer 'C001'; one customer per registrable domain"
    ]
    assert customer_ids(db) == ["C001", "C002", "C003"]


def test_customers_may_swap_domains_in_one_file(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert run(tmp_path, "customers", GOOD, db) == 0
    swapped = GOOD.replace("https://www.Contoso.co.uk/about", "FABRIKAM").replace(
        "fabrikam.com", "contoso.co.uk"
    )
    swapped = swapped.replace("FABRIKAM", "fabrikam.com")
    assert run(tmp_path, "customers", swapped, db) == 0
    with sqlite3.connect(db) as conn:
        domains = dict(conn.execute("SELECT customer_id, domain FROM customers"))
    assert domains["C001"] == "fabrikam.com" and domains["C002"] == "contoso.co.uk"


@pytest.mark.parametrize(
    ("kind", "text", "column"),
    [
        ("customers", GOOD.replace("Industry,Vertical", "Industry,Industry", 1), "Industry"),
        ("products", "CustomerID,Product,Quantity,Status,Quantity\nC001,Surface,1,active,900\n", "Quantity"),
    ],
)
def test_a_duplicated_header_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, text: str, column: str
) -> None:
    db = tmp_path / "a.db"
    assert run(tmp_path, "customers", GOOD, db) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM customers WHERE customer_id <> 'C001'")
    capsys.readouterr()
    assert run(tmp_path, kind, text, db) == 2
    problems = errors(capsys)
    assert len(problems) == 1 and f":1: {column}: column appears twice (columns" in problems[0]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM products").fetchone()[0] == 0


async def test_a_load_that_fails_midway_leaves_nothing(store: Store) -> None:
    from tests.support.intent_world import add_customers, customer

    await add_customers(store, [customer("C1")])

    def batches() -> Iterator[list[ImportRecord]]:
        yield [Product("C1", "Surface", 3, None, "active")]
        raise OSError("disk gone while the spool was read back")

    with pytest.raises(OSError):
        await store.customers.upsert_batches(batches())
    assert await store.customers.products() == []


def test_a_line_too_long_to_be_a_row_is_refused_without_reading_it_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD + "C004," + "x" * 2_000_000 + "\n"
    assert run(tmp_path, "customers", text) == 2
    assert errors(capsys) == [f"{tmp_path / 'customers.csv'}:5: file: line longer than 1000000 bytes"]
    assert customer_ids(tmp_path / "a.db") == []
