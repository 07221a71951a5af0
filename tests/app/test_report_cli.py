"""`ascent report`: definitions saved and built (CSV and XLSX), chosen columns in order,
filters, Lifetime, CRM ids, scheduled builds after `ascent monthly`, and bad input refused."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from intent.monthly import run_month
from scripts.cli import main as cli
from storage.store import open_store
from tests.support.report_world import MONTH, report_world

EARLIER = "2026-10"
SIX = ["CustomerID", "AccountName", "Country", "AzureCluster", "AzureIntent", "PotentialRevenue"]


def _world(path: Path) -> None:
    async def go() -> None:
        async with await open_store(path) as store:
            await report_world(store)
            await run_month(store.scores, store.runs, EARLIER)

    asyncio.run(go())


@pytest.fixture
def scored_db(tmp_path: Path) -> Path:
    db = tmp_path / "hub.db"
    _world(db)
    return db


def _run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    code = cli(["--db", str(db), "report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def _create(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> int:
    code, out, err = _run(capsys, db, "create", *args)
    assert code == 0, err
    return int(out.strip())


def test_create_builds_the_chosen_columns_in_order_and_downloads(
    scored_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_id = _create(
        capsys, scored_db, "--source", "azure", "--columns", ",".join(SIX), "--month", MONTH, "--bom"
    )
    out = tmp_path / "out.csv"
    code, _, err = _run(capsys, scored_db, "download", str(report_id), "--out", str(out))
    assert code == 0, err
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _csv(out)
    assert rows[0] == SIX
    assert [r[0] for r in rows[1:]] == ["C1", "C2", "C3"]
    # Formula-safe as the fixed reports: C1's name starts with "=".
    assert rows[1][1].startswith("'=HYPERLINK")
    code, listed, _ = _run(capsys, scored_db, "list", "--json")
    assert json.loads(listed)[0]["latest"] == {"month": MONTH, "status": "done", "rows": 3}


def test_filters_keep_only_matching_rows(
    scored_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_id = _create(
        capsys, scored_db, "--source", "m365", "--preset", "firmographics", "--month", MONTH,
        "--filter", "sub-segment=Small", "--filter", "country=US",
    )  # fmt: skip
    out = tmp_path / "small.csv"
    assert _run(capsys, scored_db, "download", str(report_id), "--out", str(out))[0] == 0
    rows = _csv(out)
    assert [r[rows[0].index("CustomerID")] for r in rows[1:]] == ["C3"]


def test_lifetime_xlsx_is_typed_frozen_filtered_and_formula_safe(
    scored_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    report_id = _create(
        capsys, scored_db, "--source", "renewal", "--columns", "CustomerID,AccountName,ExpiringRevenue,AgreementEndDate",
        "--month", "lifetime", "--format", "xlsx",
    )  # fmt: skip
    out = tmp_path / "life.xlsx"
    assert _run(capsys, scored_db, "download", str(report_id), "--out", str(out))[0] == 0
    book = openpyxl.load_workbook(out)
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Month", "CustomerID", "AccountName", "ExpiringRevenue", "AgreementEndDate")
    months = sorted({r[0].strftime("%Y-%m") for r in rows[1:]})
    assert months == [EARLIER, MONTH]
    first = rows[1]
    assert isinstance(first[3], int | float) and first[4].year >= 2026  # typed number and date
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:E{len(rows)}"
    hostile = next(c for c in sheet["C"] if str(c.value).startswith("=HYPERLINK"))
    assert hostile.data_type == "s"  # a string cell, never a formula


def test_crm_ids_come_first_on_every_row(
    scored_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    matched = tmp_path / "matched.csv"
    matched.write_text(
        "CrmAccount,Company,ascent_customer_id,match_method,match_score,match_candidates\n"
        "ACC-9,Contoso,C2,domain,1.0,\n"
        "ACC-7,Nobody,,none,0,\n",
        encoding="utf-8",
    )
    report_id = _create(
        capsys,
        scored_db,
        "--source",
        "azure",
        "--columns",
        "CustomerID",
        "--month",
        MONTH,
        "--crm",
        str(matched),
    )
    out = tmp_path / "crm.csv"
    _run(capsys, scored_db, "download", str(report_id), "--out", str(out))
    assert _csv(out) == [["CrmAccount", "CustomerID"], ["", "C1"], ["ACC-9", "C2"], ["", "C3"]]


def test_scheduled_reports_are_built_once_per_month_after_monthly(
    scored_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_id = _create(capsys, scored_db, "--source", "azure", "--preset", "propensity", "--schedule")
    assert json.loads(_run(capsys, scored_db, "show", str(report_id), "--json")[1])["files"] == []
    assert cli(["--db", str(scored_db), "monthly", "--month", MONTH]) == 0
    capsys.readouterr()
    files = json.loads(_run(capsys, scored_db, "show", str(report_id), "--json")[1])["files"]
    assert [(f["month"], f["status"], f["row_count"]) for f in files] == [(MONTH, "done", 3)]
    # Idempotent per (definition, month): a second run builds nothing new.
    code, out, _ = _run(capsys, scored_db, "run-scheduled", "--month", MONTH, "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = _run(capsys, scored_db, "run-scheduled", "--month", EARLIER, "--json")
    assert [b["month"] for b in json.loads(out)] == [EARLIER]


def test_delete_removes_definition_and_file(scored_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report_id = _create(capsys, scored_db, "--source", "surface", "--preset", "all", "--month", MONTH)
    path = Path(json.loads(_run(capsys, scored_db, "show", str(report_id), "--json")[1])["files"][0]["path"])
    assert path.is_file() and path.parent == scored_db.parent / "reports" / "hub"
    assert _run(capsys, scored_db, "delete", str(report_id))[0] == 0
    assert not path.exists()
    assert _run(capsys, scored_db, "show", str(report_id))[0] == 3
    assert _run(capsys, scored_db, "delete", str(report_id))[0] == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "azure", "--columns", "CustomerID,Nope", "--month", MONTH], "unknown column(s) for azure: Nope"),
        (["--source", "azure", "--columns", "CustomerID", "--month", MONTH, "--filter", "colour=red"], "unknown filter 'colour'"),
        (["--source", "azure", "--columns", "CustomerID", "--month", MONTH, "--filter", "cluster=Someday"], "unknown cluster 'Someday'"),
        (["--source", "azure", "--columns", "CustomerID", "--month", MONTH, "--filter", "intent=90-10"], "MIN <= MAX"),
        (["--source", "azure", "--columns", "CustomerID", "--month", "2026-13"], "month:"),
        (["--source", "azure", "--columns", "CustomerID,CustomerID", "--month", MONTH], "more than once"),
        (["--source", "azure", "--columns", "CustomerID"], "give --month"),
    ],
)  # fmt: skip
def test_bad_definitions_exit_2_with_one_clear_message(
    scored_db: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = _run(capsys, scored_db, "create", *args)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_unknown_source_and_bad_crm_file_are_refused(
    scored_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        cli(
            [
                "--db",
                str(scored_db),
                "report",
                "create",
                "--source",
                "gcp",
                "--preset",
                "all",
                "--month",
                MONTH,
            ]
        )
    assert stop.value.code == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("CrmAccount,ascent_customer_id\nA1,C1,extra\n", encoding="utf-8")
    code, _, err = _run(
        capsys,
        scored_db,
        "create",
        "--source",
        "azure",
        "--preset",
        "all",
        "--month",
        MONTH,
        "--crm",
        str(bad),
    )
    assert code == 2 and f"{bad}:2: (row): 3 fields" in err


def test_month_not_scored_fails_the_file_not_the_definition(
    scored_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        capsys, scored_db, "create", "--source", "azure", "--preset", "all", "--month", "2026-01"
    )
    assert code == 1 and "has not been scored" in err
    files = json.loads(_run(capsys, scored_db, "show", out.strip(), "--json")[1])["files"]
    assert files[0]["status"] == "failed"


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli(["report", "create", "--help"])
    text = capsys.readouterr().out
    for option in ("--source", "--columns", "--preset", "--filter", "--month", "--format", "--name", "--bom",
                   "--schedule", "--crm", "--crm-id-column"):  # fmt: skip
        assert option in text


def test_scheduled_reports_keep_their_newest_months(
    scored_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASCENT_REPORTS__KEEP_MONTHS", "1")
    report_id = _create(capsys, scored_db, "--source", "azure", "--preset", "revenue", "--schedule")
    assert _run(capsys, scored_db, "run-scheduled", "--month", EARLIER)[0] == 0
    [older] = json.loads(_run(capsys, scored_db, "show", str(report_id), "--json")[1])["files"]
    assert Path(older["path"]).is_file()
    assert _run(capsys, scored_db, "run-scheduled", "--month", MONTH)[0] == 0
    files = json.loads(_run(capsys, scored_db, "show", str(report_id), "--json")[1])["files"]
    assert [f["month"] for f in files] == [MONTH]
    assert not Path(older["path"]).exists()
