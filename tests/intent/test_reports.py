"""The six CSV reports (SPEC §7): exact columns, safe cells, ISO dates, stable bytes."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from common.vocabulary import REPORT_NAMES
from intent.reports import REPORTS, columns, neutralise, render_csv
from scripts.cli import main as cli
from storage.store import open_store
from tests.support.report_world import MONTH, report_world

ALL = REPORT_NAMES
FIRMOGRAPHIC = [
    "PartnerID",
    "PartnerName",
    "CustomerID",
    "AccountName",
    "Domain",
    "OrgSize",
    "Industry",
    "Vertical",
    "City",
    "State",
    "PostalCode",
    "Country",
    "SubSegment",
    "IsNonprofit",
]
# Pinned on purpose (the header of SPEC §7), not read from common/vocabulary.py.
FLAGS = [
    "HasAzure",
    "HasM365",
    "HasD365",
    "HasSurface",
    "HasCopilot",
    "HasE5",
    "HasGoogle",
    "HasAWS",
    "HasSalesforce",
    "HasZoom",
]




def _build(path: Path) -> None:
    async def go() -> None:
        store = await open_store(path)
        try:
            await report_world(store)
        finally:
            await store.close()

    asyncio.run(go())


@pytest.fixture
def scored_db(tmp_path: Path) -> Path:
    db = tmp_path / "reports.db"
    _build(db)
    return db


def _read(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_columns_follow_the_spec() -> None:
    azure = columns("azure")
    assert azure[:14] == FIRMOGRAPHIC
    assert azure[14:18] == ["AzureFit", "AzureIntent", "AzureCell", "AzureCluster"]
    assert azure[18:22] == ["M365Fit", "M365Intent", "M365Cell", "M365Cluster"]
    assert azure[42:52] == FLAGS
    assert azure[52:] == ["Azure_M365NoAzure", "PotentialRevenue", "TopSignals", "WhyNow"]
    d365 = columns("d365")
    assert d365[14:26] == [
        f"{a}{c}" for a in ("D365BC", "D365SP", "PowerApps") for c in ("Fit", "Intent", "Cell", "Cluster")
    ]
    assert columns("surface")[52:56] == [
        "Surface_Acquire_1_49Seats",
        "Surface_Acquire_50PlusSeats",
        "Surface_Upsell_1_24Devices",
        "Surface_Upsell_25PlusDevices",
    ]
    assert columns("renewal")[-5:] == [
        "AgreementID",
        "LicenseProgram",
        "AgreementEndDate",
        "RevSumDivisionName",
        "ExpiringRevenue",
    ]
    for report in ALL:
        header = columns(report)
        assert len(header) == len(set(header))
        assert sum(1 for c in header if c.endswith("Cluster")) == 7


def test_neutralise_prefixes_formulas_but_keeps_numbers() -> None:
    for bad in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise(-5) == -5 and neutralise(3.5) == 3.5
    assert neutralise("plain") == "plain"
    assert neutralise(True) == "Yes"


def test_export_writes_every_report_with_exact_columns(scored_db: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert (
        cli(["--db", str(scored_db), "export", "--month", MONTH, "--report", "all", "--out", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    for report in ALL:
        path = out / f"{report}-{MONTH}.csv"
        assert str(path) in printed
        rows = _read(path)
        assert rows[0] == columns(report)
        assert all(len(row) == len(rows[0]) for row in rows), report
        assert len(rows) == (3 if report == "renewal" else 4)


def test_hyperlink_is_neutralised_in_every_report(scored_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        cli(["--db", str(scored_db), "export", "--month", MONTH, "--report", "all", "--out", str(out)]) == 0
    )
    for report in ALL:
        rows = _read(out / f"{report}-{MONTH}.csv")
        header = rows[0]
        c1 = next(r for r in rows[1:] if r[header.index("CustomerID")] == "C1")
        assert c1[header.index("AccountName")] == '\'=HYPERLINK("http://evil.example","click")'
        assert c1[header.index("City")] == "'+City"
        assert c1[header.index("State")] == "'@state"
        assert c1[header.index("Vertical")] == "'-vert"
        assert c1[header.index("Industry")] == "'\tTabbed"
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (report, cell)
    renewal = _read(out / f"renewal-{MONTH}.csv")
    header = renewal[0]
    assert [r[header.index("AgreementID")] for r in renewal[1:]] == ["AG2", "AG1"]
    ag1 = renewal[2]
    assert ag1[header.index("LicenseProgram")] == "'=cmd|' /C calc'!A0"
    assert ag1[header.index("AgreementEndDate")] == "2027-03-31"
    assert ag1[header.index("ExpiringRevenue")] == "12000"
    assert renewal[1][header.index("ExpiringRevenue")] == "500.5"


def test_values_and_signals_in_the_azure_report(scored_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        cli(["--db", str(scored_db), "export", "--month", MONTH, "--report", "azure", "--out", str(out)]) == 0
    )
    rows = _read(out / f"azure-{MONTH}.csv")
    header = rows[0]
    by_id = {r[header.index("CustomerID")]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    c1, c2, c3 = by_id["C1"], by_id["C2"], by_id["C3"]
    assert c1["HasM365"] == "Yes" and c1["HasAzure"] == "No" and c1["Azure_M365NoAzure"] == "Yes"
    assert c2["HasZoom"] == "Yes" and c2["HasSurface"] == "Yes"
    assert c3["IsNonprofit"] == "Yes" and c3["SubSegment"] == "Small"
    assert c3["AccountName"] == "Line\nBreak Ltd"
    assert int(c1["AzureIntent"]) > 0 and c1["AzureCell"] and c1["AzureCluster"]
    assert c1["TopSignals"].startswith("2026-11-20 cloud_migration https://c1.example/=evil")
    assert c1["WhyNow"] == '\'=HYPERLINK("x") moves to the cloud'
    assert int(c1["PotentialRevenue"]) == 40 * 15 * 12
    assert c2["TopSignals"] == ""  # its only signal is about M365 and Surface
    assert rows[1][header.index("CustomerID")] == "C1"  # the best Azure prospect comes first


def test_export_bytes_are_identical_across_runs(scored_db: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert (
        cli(["--db", str(scored_db), "export", "--month", MONTH, "--report", "all", "--out", str(first)]) == 0
    )
    assert cli(["--db", str(scored_db), "monthly", "--month", MONTH]) == 0
    assert (
        cli(["--db", str(scored_db), "export", "--month", MONTH, "--report", "all", "--out", str(second)])
        == 0
    )
    for report in ALL:
        name = f"{report}-{MONTH}.csv"
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_bom_option(scored_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "bom"
    assert (
        cli(
            [
                "--db",
                str(scored_db),
                "export",
                "--month",
                MONTH,
                "--report",
                "m365",
                "--out",
                str(out),
                "--bom",
            ]
        )
        == 0
    )
    data = (out / f"m365-{MONTH}.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfPartnerID,")
    assert render_csv(["A"], [[1]]) == b"A\r\n1\r\n"


def test_export_of_an_unscored_month_is_not_found(scored_db: Path, tmp_path: Path, capsys) -> None:
    assert (
        cli(
            [
                "--db",
                str(scored_db),
                "export",
                "--month",
                "2025-01",
                "--report",
                "azure",
                "--out",
                str(tmp_path),
            ]
        )
        == 3
    )
    assert "ascent monthly --month 2025-01" in capsys.readouterr().err


def test_every_report_has_a_spec() -> None:
    assert tuple(REPORTS) == ALL
