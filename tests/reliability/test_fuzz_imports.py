"""CSV imports under generated input: valid rows of every kind round-trip exactly; broken
files of every kind give only ``file:line: column: problem`` errors and never raise."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.vocabulary import AREAS
from intent.domains import normalise_domain
from intent.imports import FILE_KINDS, KINDS, parse_text
from intent.vocabulary import products

ERROR = re.compile(r"^in\.csv:\d+: [^:\n]+: [^\n]+$")
ROUND_TRIP = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# Text a spreadsheet user can type: no control characters, no surrounding whitespace, and
# deliberately including formula starters, quotes, commas and non-Latin scripts.
free_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=60).map(
    str.strip
)
identifier = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:/-]{0,20}\Z")
label = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z")
domains = st.builds(lambda a, tld: f"{a}.{tld}", label, st.sampled_from(["com", "co.uk", "de", "org", "io"]))
days = st.dates().filter(lambda d: d.year >= 1000).map(lambda d: d.isoformat())
amounts = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)


def _row(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """Cell text per header, and the value the importer must produce for it."""
    cells: dict[str, st.SearchStrategy[tuple[str, Any]]] = {
        "CustomerID": identifier.map(lambda v: (v, v)),
        "AccountName": free_text.filter(bool).map(lambda v: (v, v)),
        "Domain": domains.map(lambda v: (v, normalise_domain(v))),
        "OrgSize": st.integers(1, 10_000_000).map(lambda v: (str(v), v)),
        "IsNonprofit": st.sampled_from([("Yes", True), ("no", False), ("", False), ("1", True)]),
        "AzureMonthlyRevenue": amounts.map(lambda v: (repr(v), v)),
        "Product": st.sampled_from(sorted(products())).map(lambda v: (v.upper(), v)),
        "Quantity": st.integers(0, 10_000_000).map(lambda v: (f"{v:,}", v)),
        "PurchaseDate": days.map(lambda v: (v, v)),
        "Status": st.sampled_from([("active", "active"), ("Expired", "expired")]),
        "AgreementID": identifier.map(lambda v: (v, v)),
        "AgreementEndDate": days.map(lambda v: (v, v)),
        "ExpiringRevenue": amounts.map(lambda v: (repr(v), v)),
        "Area": st.sampled_from(AREAS).map(lambda v: (v.lower(), v)),
        "Score": st.floats(0, 100, allow_nan=False).map(lambda v: (repr(v), v)),
        "Quarter": st.tuples(st.integers(2000, 2099), st.integers(1, 4)).map(
            lambda t: (f"{t[0]}-q{t[1]}", f"{t[0]}Q{t[1]}")
        ),
        "OpportunityID": identifier.map(lambda v: (v, v)),
        "CreatedDate": days.map(lambda v: (v, v)),
        "ClosedDate": st.one_of(st.just(("", None)), days.map(lambda v: (v, v))),
        "Outcome": st.sampled_from([("won", "won"), ("LOST", "lost"), ("open", "open")]),
        "Revenue": amounts.map(lambda v: (repr(v), v)),
    }
    columns = FILE_KINDS[kind].columns
    return st.fixed_dictionaries(
        {c.header: cells.get(c.header, free_text.map(lambda v: (v, v))) for c in columns}
    )


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", KINDS)
def test_a_valid_generated_row_round_trips(kind: str) -> None:
    columns = FILE_KINDS[kind].columns

    @ROUND_TRIP
    @given(_row(kind))
    def check(row: dict[str, tuple[str, Any]]) -> None:
        content = _csv([[c.header for c in columns], [row[c.header][0] for c in columns]])
        result = parse_text(kind, "in.csv", content)
        assert result.errors == [], content
        assert len(result.records) == 1 and result.lines == [2]
        record = dataclasses.asdict(result.records[0])
        for column in columns:
            assert record[column.attribute] == row[column.header][1], column.header

    check()


@pytest.mark.parametrize("kind", KINDS)
def test_broken_files_never_raise_and_every_error_names_file_line_and_column(kind: str) -> None:
    headers = [c.header for c in FILE_KINDS[kind].columns]
    cell = st.one_of(
        free_text,
        st.text(max_size=20),  # anything, control characters included
        st.sampled_from(["=1+1", "-5", "1e999", "nan", "2026-02-30", '"', "\x00", "9" * 400]),
    )
    rows = st.lists(st.lists(cell, max_size=len(headers) + 2), max_size=6)
    header = st.one_of(st.just(headers), st.permutations(headers), st.lists(st.sampled_from(headers)))

    @settings(ROUND_TRIP, max_examples=40)
    @given(header, rows, st.booleans())
    def check(head: list[str], body: list[list[str]], mangle: bool) -> None:
        content = _csv([head, *body])
        if mangle:  # an unterminated quote in the middle of the file
            content = content[: len(content) // 2] + '"' + content[len(content) // 2 :]
        result = parse_text(kind, "in.csv", content)
        for message in result.errors:
            assert ERROR.match(message), repr(message)
        assert len(result.records) == len(result.lines)

    check()


def test_header_names_with_line_breaks_stay_on_one_warning_line() -> None:
    headers = [c.header for c in FILE_KINDS["fit"].columns] + ["Extra\ncolumn"]
    result = parse_text("fit", "in.csv", _csv([headers]))
    assert result.errors == []
    assert result.warnings and all("\n" not in w for w in result.warnings)
