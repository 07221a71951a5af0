"""`ascent match`: a real SQLite store, real files, the output contract and bad CRM files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from intent.crm_file import MAX_FILE_BYTES, OUTPUT_COLUMNS, CrmFileError, read_crm
from intent.crm_match import match_crm
from intent.matching import DEFAULT_FUZZY_THRESHOLD
from scripts.cli import main
from scripts.devtools.bench_match import customers_of, messy_export, score
from scripts.fixture_web.world import World
from storage.store import open_store
from tests.support.match_world import crm_customer

CUSTOMERS = [
    crm_customer("C1", "Contoso Ltd", "contoso.co.uk"),
    crm_customer("C2", "Fabrikam", "fabrikam.com"),
    crm_customer("C3", "Northwind Traders", "northwind.com"),
    crm_customer("C4", "Northwind Traders", "northwind.de"),
]


@pytest.fixture
async def db(db_path: Path) -> Path:
    store = await open_store(db_path)
    async with store:
        await store.customers.upsert_all(CUSTOMERS)
    return db_path


def _run(db: Path, *args: str) -> int:
    return main(["--db", str(db), "match", *args])


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_matched_file_keeps_every_crm_column_and_adds_four(db: Path, tmp_path: Path, capsys) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text(
        "Owner,Company Website,Account Name,Notes\r\n"
        "ann,https://www.contoso.co.uk/,Contoso,=1+1\r\n"
        "bob,,FABRIKAM INC.,\r\n"
        "cy,,Northwind Traders,\r\n"
        "di,gmail.com,Nobody Ltd,\r\n",
        encoding="utf-8",
    )
    out = tmp_path / "matched.csv"
    assert _run(db, str(crm), "--out", str(out), "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["methods"] == {"domain": 1, "name": 1, "fuzzy_name": 0, "id": 0, "ambiguous": 1, "none": 1}
    assert summary["rows"] == 4 and summary["matched"] == 2
    rows = _read(out)
    assert rows[0] == ["Owner", "Company Website", "Account Name", "Notes", *OUTPUT_COLUMNS]
    assert rows[1] == ["ann", "https://www.contoso.co.uk/", "Contoso", "'=1+1", "C1", "domain", "1.0", ""]
    assert rows[2][4:6] == ["C2", "name"]
    assert rows[3][4:] == ["", "ambiguous", "1.0", "C3;C4"]
    assert rows[4][4:] == ["", "none", "0.0", ""]


def test_summary_in_words_and_map_overrides(db: Path, tmp_path: Path, capsys) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text("Firma;x,Kunde\r\nContoso,C2\r\n", encoding="utf-8")
    out = tmp_path / "m.csv"
    assert _run(db, str(crm), "--out", str(out), "--map", "name=Firma;x", "--map", "id=Kunde") == 0
    printed = capsys.readouterr().out
    assert "1 rows, 0 matched" in printed and "ambiguous" in printed
    # The name says C1, our ID says C2: conflicting evidence, never a guess.
    assert _read(out)[1][2:] == ["", "ambiguous", "1.0", "C1;C2"]


def test_help_explains_every_option(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["match", "--help"])
    text = capsys.readouterr().out
    for option in ("--out", "--map", "--threshold", "--json", "--bom", "ROLE=COLUMN", "ambiguous", "gmail"):
        assert option in text


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "crm.csv:1: file: not a CSV file"),
        ("Account Name\r\nMüller\r\n".encode("latin-1"), "crm.csv:2: file: not UTF-8"),
        (b"Owner,Phone\r\nann,1\r\n", "crm.csv:1: header: no recognisable column"),
        (b"Account Name,Website,account name\r\nx,y,z\r\n", "crm.csv:1: account name: duplicated column"),
        (
            b"Account Name,Website\r\nContoso,contoso.co.uk\r\nFabrikam\r\n",
            "crm.csv:3: row: 1 fields, the header has 2",
        ),
        (
            b"Account Name,match_method\r\nx,y\r\n",
            "crm.csv:1: match_method: the file already has this column",
        ),
        (b'Account Name,Website\r\n"Contoso,x\r\n', "crm.csv:2: row: not valid CSV"),
        (b"", "crm.csv:1: header: the file is empty"),
    ],
)
def test_bad_crm_files_are_refused_whole(
    db: Path, tmp_path: Path, capsys, content: bytes, problem: str
) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_bytes(content)
    out = tmp_path / "matched.csv"
    assert _run(db, str(crm), "--out", str(out)) == 2
    assert problem in capsys.readouterr().err.replace(str(tmp_path) + "/", "")
    assert not out.exists()


def test_unknown_map_column_and_bad_threshold(db: Path, tmp_path: Path, capsys) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text("Account Name\r\nContoso\r\n", encoding="utf-8")
    assert _run(db, str(crm), "--out", str(tmp_path / "o.csv"), "--map", "domain=Web") == 2
    assert "crm.csv:1: Web: no such column (--map domain=Web)" in capsys.readouterr().err
    assert _run(db, str(crm), "--out", str(tmp_path / "o.csv"), "--map", "colour=Web") == 2
    with pytest.raises(SystemExit) as exited:
        _run(db, str(crm), "--out", str(tmp_path / "o.csv"), "--threshold", "2")
    assert exited.value.code == 2


def test_output_must_be_writable_and_not_the_input(db: Path, tmp_path: Path, capsys) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text("Account Name\r\nContoso\r\n", encoding="utf-8")
    assert _run(db, str(crm), "--out", str(crm)) == 2
    assert crm.read_bytes() == b"Account Name\r\nContoso\r\n"
    assert _run(db, str(crm), "--out", str(tmp_path / "missing" / "o.csv")) == 1
    assert "cannot write" in capsys.readouterr().err


def test_missing_database_is_not_found(tmp_path: Path, capsys) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text("Account Name\r\nContoso\r\n", encoding="utf-8")
    assert _run(tmp_path / "nope.db", str(crm), "--out", str(tmp_path / "o.csv")) == 3
    assert not (tmp_path / "nope.db").exists()


def test_too_big_file_is_refused() -> None:
    with pytest.raises(CrmFileError, match=r"crm.csv:1: file: .* larger than the limit"):
        read_crm("crm.csv", b"Account Name\r\n" + b"x\r\n" * 10, max_bytes=20)
    assert MAX_FILE_BYTES >= 10 * 1024 * 1024


def test_bom_and_blank_lines_are_read(tmp_path: Path) -> None:
    crm = read_crm(
        "crm.csv", '\ufeffE-mail Address,Company\r\n\r\na@b.com,"Multi\nline"\r\nc@d.com,X\r\n'.encode()
    )
    assert crm.header == ["E-mail Address", "Company"]
    assert crm.lines == [3, 5]
    assert crm.columns.positions == {"email": 0, "name": 1}


@pytest.mark.slow
def test_generated_messy_export_meets_the_targets() -> None:
    """A small messy CRM export from the fixture world: precision and share matched pinned."""
    world = World.generate(companies=300, seed=7)
    export = messy_export(world, seed=5)
    result = match_crm("crm.csv", export.csv_bytes(), customers_of(world), threshold=DEFAULT_FUZZY_THRESHOLD)
    scores = score(result.matches, export.truth)
    assert scores.precision >= 0.99, scores.wrong[:5]
    assert scores.recall >= 0.95
    assert result.summary.methods["domain"] > 0 and result.summary.methods["fuzzy_name"] > 0
