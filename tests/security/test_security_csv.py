"""Formula injection (SPEC §7) in every CSV the product writes: the six monthly reports
(intent/reports.py render_csv, the only writer of report bytes) and the web UI's customer list
download. Cells that start with = + - @ tab or CR reach a spreadsheet as text; numbers stay
numbers."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from intent.reports import FORMULA_STARTS, REPORTS, columns, neutralise, render_csv
from scripts.web.safety import neutralise_cell
from tests.support.hostile_db import CUSTOMER, MONTH

PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "-2",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\r\n=1+1",
    "=1+1,2,3",  # needs CSV quoting as well
    '=1+"1"',
    "＝1+1",  # fullwidth equals: not a formula starter, left as it is
]
# Spellings that reach a formula after the leading characters some importers strip.
WHITESPACE_LED = [" =1+1", "  @SUM(A1)", "\u00a0=1+1", "\n=1+1"]


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _is_inert(cell: str) -> bool:
    return cell[:1] not in FORMULA_STARTS


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_every_report_neutralises_formula_cells_in_every_column(report: str) -> None:
    header = columns(report)
    rows = [
        [PAYLOADS[(i + shift) % len(PAYLOADS)] for i in range(len(header))] for shift in range(len(PAYLOADS))
    ]
    for bom in (False, True):
        parsed = _cells(render_csv(header, rows, bom))
        assert parsed[0] == header
        assert len(parsed) == len(rows) + 1
        for written, read in zip(rows, parsed[1:], strict=True):
            for value, cell in zip(written, read, strict=True):
                assert _is_inert(cell), f"{report}: {value!r} -> {cell!r}"
                expected = "'" + value if value[:1] in FORMULA_STARTS else value
                assert cell == expected


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_numbers_stay_numbers_in_every_report(report: str) -> None:
    header = columns(report)
    values: list[object] = [-5, -0.5, 0, 12.5, 1_000_000, True, False, None]
    row = [values[i % len(values)] for i in range(len(header))]
    [read] = _cells(render_csv(header, [row]))[1:]
    for value, cell in zip(row, read, strict=True):
        if isinstance(value, bool):
            assert cell == ("Yes" if value else "No")
        elif value is None:
            assert cell == ""
        else:
            assert float(cell) == value, f"{value!r} -> {cell!r}"  # no quote prefix on numbers


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.builds(
            lambda p, t: p + t, st.sampled_from(["=", "+", "-", "@", "\t", "\r"]), st.text(max_size=20)
        ),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
    )
)
def test_no_generated_text_cell_reaches_a_spreadsheet_as_a_formula(value: object) -> None:
    for cell_value in (neutralise(value), neutralise_cell(value)):
        [[cell]] = _cells(render_csv(["x"], [[cell_value]]))[1:] or [[""]]
        if isinstance(value, int | float) and cell_value is value:
            assert math.isclose(float(cell), float(value), rel_tol=1e-12, abs_tol=0)
        else:
            assert _is_inert(cell), f"{value!r} -> {cell!r}"


@pytest.mark.parametrize("value", WHITESPACE_LED)
def test_formulas_behind_leading_whitespace_are_neutralised(value: str) -> None:
    for neutralised in (neutralise(value), neutralise_cell(value)):
        assert str(neutralised).startswith("'"), repr(neutralised)


# --- the web UI's CSV download -----------------------------------------------------------


@pytest.fixture(scope="module")
def client(hostile_db: Path) -> Iterator[TestClient]:
    from scripts.web.app import create_app

    with TestClient(create_app(hostile_db)) as test_client:
        yield test_client


def _download(client: TestClient) -> list[list[str]]:
    response = client.get(f"/customers.csv?month={MONTH}&area=Azure")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return _cells(response.content)


def test_web_csv_download_neutralises_every_formula_cell(client: TestClient) -> None:
    rows = _download(client)
    header, body = rows[0], rows[1:]
    assert {row[header.index("CustomerID")] for row in body} == {CUSTOMER, "H2"}
    numeric = {"OrgSize", "Fit", "Intent", "PotentialRevenue"}
    for row in body:
        for column, cell in zip(header, row, strict=True):
            if column in numeric:
                float(cell)  # a number the product formatted, never crawled text
            else:
                assert _is_inert(cell), f"{column}: {cell!r}"
    hostile = next(row for row in body if row[header.index("CustomerID")] == CUSTOMER)
    assert hostile[header.index("AccountName")].startswith("'=HYPERLINK(")
    assert hostile[header.index("Industry")].startswith("'+Industry")
    assert hostile[header.index("Country")] == "'@Country"
    plain = next(row for row in body if row[header.index("CustomerID")] == "H2")
    assert plain[header.index("AccountName")] == "'-Plain Co"
    assert plain[header.index("Industry")] == "'\tRetail"
    assert plain[header.index("Country")] == "'\rUS"


def test_web_csv_keeps_positive_numbers_as_numbers(client: TestClient) -> None:
    rows = _download(client)
    header = rows[0]
    for row in rows[1:]:
        for column in ("OrgSize", "Fit", "Intent"):
            float(row[header.index(column)])


def test_web_csv_keeps_negative_numbers_as_numbers(client: TestClient) -> None:
    rows = _download(client)
    header = rows[0]
    for row in rows[1:]:
        float(row[header.index("PotentialRevenue")])
