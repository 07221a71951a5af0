"""CSV imports: all rows or none, every bad line named, re-imports change nothing, kills are safe."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intent.imports import parse_text, sub_segment
from scripts.cli import main
from tests.support.import_rows import GOOD, HEADER


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(db: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()


def test_good_file_imports_and_reimport_changes_nothing(tmp_path: Path, capsys) -> None:
    db = tmp_path / "a.db"
    csv_file = write(tmp_path, "customers.csv", GOOD)
    assert main(["--db", str(db), "import", "customers", str(csv_file)]) == 0
    first = rows(db, "customers")
    assert [r[0] for r in first] == ["C001", "C002", "C003"]
    assert first[0][2] == "contoso.co.uk"
    assert [r[-1] for r in first] == ["Medium", "Upper Medium", "Upper Medium"]
    assert main(["--db", str(db), "import", "customers", str(csv_file)]) == 0
    assert rows(db, "customers") == first
    assert "(0 new or changed)" in capsys.readouterr().out


def test_bad_rows_are_all_named_and_nothing_is_loaded(tmp_path: Path, capsys) -> None:
    db = tmp_path / "a.db"
    good = write(tmp_path, "good.csv", GOOD)
    assert main(["--db", str(db), "import", "customers", str(good)]) == 0
    before = rows(db, "customers")
    bad = write(
        tmp_path,
        "bad.csv",
        HEADER
        + "C010,Alpine Ski House,alpineskihouse.com,80,,,,,,,,,,\n"
        + ",Missing Id,missing.com,10,,,,,,,,,,\n"
        + "C011,Bad Size,badsize.com,abc,,,,,,,,,,\n"
        + "C010,Duplicate,dup.com,10,,,,,,,,,,\n"
        + "C012,No Host,http://,10,,,,,,,,,,\n"
        + "C013,Script,javascript:alert(1),10,,,,,,,,,,\n",
    )
    assert main(["--db", str(db), "import", "customers", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3: CustomerID: is required" in err
    assert f"{bad}:4: OrgSize: 'abc' is not a whole number" in err
    assert f"{bad}:5: CustomerID: duplicate of line 2" in err
    assert f"{bad}:6: Domain:" in err
    assert f"{bad}:7: Domain:" in err and "javascript" in err
    assert "nothing imported" in err
    assert rows(db, "customers") == before


def test_products_for_unknown_customers_and_products_are_rejected(tmp_path: Path, capsys) -> None:
    db = tmp_path / "a.db"
    assert main(["--db", str(db), "import", "customers", str(write(tmp_path, "c.csv", GOOD))]) == 0
    products = write(
        tmp_path,
        "p.csv",
        "CustomerID,Product,Quantity,PurchaseDate,Status\n"
        "C001,M365 Business Premium,40,2025-03-01,active\n"
        "C999,Azure,1,2025-03-01,active\n"
        "C002,Lotus Notes,5,2020-01-01,active\n"
        "C002,Surface,5,2020-13-01,active\n",
    )
    assert main(["--db", str(db), "import", "products", str(products)]) == 2
    err = capsys.readouterr().err
    assert f"{products}:4: Product: 'Lotus Notes' is not one of:" in err
    assert "M365 E5" in err
    assert f"{products}:5: PurchaseDate: '2020-13-01' is not a date" in err
    assert rows(db, "products") == []
    # Unknown customers are checked once the rows themselves are valid.
    fixed = write(
        tmp_path,
        "p2.csv",
        "CustomerID,Product,Quantity,PurchaseDate,Status\n"
        "C001,M365 Business Premium,40,2025-03-01,active\n"
        "C999,Azure,1,2025-03-01,active\n",
    )
    assert main(["--db", str(db), "import", "products", str(fixed)]) == 2
    assert f"{fixed}:3: CustomerID: 'C999' is not an imported customer" in capsys.readouterr().err
    assert rows(db, "products") == []


def test_every_kind_imports(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    files = {
        "customers": GOOD,
        "products": "CustomerID,Product,Quantity,PurchaseDate,Status\n"
        "C001,M365 Business Premium,40,2025-03-01,active\nC003,Dynamics NAV,1,2012-05-01,active\n",
        "agreements": "CustomerID,AgreementID,LicenseProgram,AgreementEndDate,RevSumDivisionName,ExpiringRevenue\n"
        "C001,AG-1,CSP,2027-03-31,Modern Work,12000\n",
        "fit": "CustomerID,Area,Score,Quarter\nC001,Azure,81.5,2026Q4\nC002,m365,40,2026-Q4\n",
        "outcomes": "OpportunityID,CustomerID,Area,CreatedDate,ClosedDate,Outcome,Revenue\n"
        "O-1,C001,Azure,2026-12-01,2027-01-15,won,25000\nO-2,C002,M365,2026-12-05,,open,\n",
    }
    for kind, text in files.items():
        assert main(["--db", str(db), "import", kind, str(write(tmp_path, f"{kind}.csv", text))]) == 0
    assert rows(db, "fit_scores")[1][:4] == ("C002", "M365", "2026Q4", 40.0)
    assert rows(db, "outcomes")[1][4] is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "header: the file is empty"),
        ("CustomerID,AccountName\n", "Domain: required column is missing"),
        (HEADER + 'C1,"unterminated,x.com,1\n', "row:"),
        (HEADER + "C1,A,a.com,1,,,,,,,,,,,,,,,\n", "fields, header has"),
        (HEADER + "C1,A,a.com,1,,,,,,,maybe,,,\n", "IsNonprofit: 'maybe' is not yes or no"),
        (HEADER + "C1,A,a.com,1,,,,,,,,-5,,\n", "AzureMonthlyRevenue: -5.0 is outside"),
        (HEADER + "C1,A,127.0.0.1,1,,,,,,,,,,\n", "IP address"),
        (HEADER + "C1,A\x01B,a.com,1,,,,,,,,,,\n", "control characters"),
    ],
)
def test_malformed_content_is_reported(text: str, problem: str) -> None:
    result = parse_text("customers", "f.csv", text)
    assert not result.ok
    assert any(problem in error for error in result.errors), result.errors


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(GOOD.encode() + b"C004,Bad \xff name,bad.com,3,,,,,,,,,,\n")
    assert main(["--db", str(tmp_path / "a.db"), "import", "customers", str(path)]) == 2
    assert f"{path}:5: file: not valid UTF-8" in capsys.readouterr().err


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert main(["--db", str(tmp_path / "a.db"), "import", "customers", str(path)]) == 0


def test_sub_segment_rule() -> None:
    assert sub_segment(300, 0) == "Upper Medium"
    assert sub_segment(10, 1000.01) == "Upper Medium"
    assert sub_segment(10, 1000) == "Small"
    assert sub_segment(25, 0) == "Medium"
    assert sub_segment(299, 0) == "Medium"
    assert sub_segment(24, 0) == "Small"


@pytest.mark.slow
def test_killed_import_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert main(["--db", str(db), "import", "customers", str(write(tmp_path, "c.csv", GOOD))]) == 0
    before = rows(db, "customers")
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(60_000):
            out.write(f"K{i:06d},Company {i},company{i}.com,{10 + i % 500},Retail,,City,,,GB,no,0,P1,P\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "--db", str(db), "import", "customers", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # Kill once the uncommitted transaction has spilled pages into the WAL: mid-write.
    wal = db.with_name(db.name + "-wal")
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the import finished before it could be killed mid-write"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert rows(db, "customers") == before
