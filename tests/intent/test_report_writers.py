"""The hub's file writers: XLSX worksheets split at the row limit, typed cells, string cells
for formula-like text; CSV formula-safe with an optional BOM; the child-process writer."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from intent.report_writers import ChildProcessWriter, CsvReportWriter, XlsxReportWriter

HEADER = ["Month", "CustomerID", "AccountName", "AzureIntent", "AgreementEndDate"]
ROWS = [
    ["2026-11", "C1", '=HYPERLINK("http://evil.example","x")', 87.5, "2027-03-31"],
    ["2026-11", "C2", "+cmd", 12, ""],
    ["2026-12", "C3", "@SUM(A1)", 0, "2026-12-15"],
    ["2026-12", "C4", "Plain", 3, "not a date"],
    ["2026-12", "C5", "-1", 4, "2027-01-01"],
]


def test_xlsx_splits_sheets_at_the_row_limit_each_with_header_and_filter(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "r.xlsx"
    writer = XlsxReportWriter(path, HEADER, row_bound=len(ROWS), rows_per_sheet=2)
    writer.write_rows(ROWS)
    writer.close()
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Report", "Report 2", "Report 3"]
    seen = []
    for sheet in book.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        assert list(values[0]) == HEADER
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:E{len(values)}"
        seen += values[1:]
    assert [r[1] for r in seen] == ["C1", "C2", "C3", "C4", "C5"]
    assert seen[0][0].strftime("%Y-%m") == "2026-11" and seen[0][4].isoformat()[:10] == "2027-03-31"
    assert seen[0][3] == 87.5 and seen[3][4] == "not a date"
    cells = [c for sheet in book.worksheets for c in sheet["C"][1:]]
    assert all(c.data_type == "s" for c in cells)  # formula-like text stays a string cell
    assert [c.value for c in cells][:3] == [ROWS[0][2], "+cmd", "@SUM(A1)"]


def test_csv_is_formula_safe_with_optional_bom(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    writer = CsvReportWriter(path, HEADER, bom=True)
    writer.write_rows(ROWS)
    writer.close()
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [r[2] for r in rows[1:]] == ["'" + ROWS[0][2], "'+cmd", "'@SUM(A1)", "Plain", "'-1"]


def test_child_process_writer_writes_and_reports_failures(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "child.xlsx"
    writer = ChildProcessWriter("xlsx", path, HEADER, row_bound=len(ROWS))
    writer.write_rows(ROWS)
    writer.close()
    assert openpyxl.load_workbook(path).active.max_row == len(ROWS) + 1
    broken = ChildProcessWriter("xlsx", tmp_path / "missing-folder" / "x.xlsx", HEADER)
    broken.write_rows(ROWS)
    with pytest.raises(OSError, match="writing the report failed"):
        broken.close()


def test_xlsx_edges_unreached_sheet_long_text_repeated_name_and_too_many_rows(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    path = tmp_path / "edges.xlsx"
    header = ["CRM", "CustomerID", "CustomerID", "TopSignals"]
    writer = XlsxReportWriter(path, header, row_bound=5, rows_per_sheet=2)
    writer.write_rows([["k1", "C1", "C1", "x" * 40_000], ["k2", "C2", "C2", "ok\x01"]])
    writer.close()
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Report", "Report 2", "Report 3"]
    first = list(book["Report"].iter_rows(values_only=True))
    assert first[0] == ("CRM", "CustomerID", "CustomerID 2", "TopSignals")
    assert len(first[1][3]) == 32_767 and first[2][3] == "ok_x0001_"  # Excel shows the escape as \x01
    for name in ("Report 2", "Report 3"):  # the bound foresaw rows that never came: header only
        rows = [r for r in book[name].iter_rows(values_only=True) if any(v is not None for v in r)]
        assert rows == [first[0]]
    over = XlsxReportWriter(tmp_path / "over.xlsx", header, row_bound=1, rows_per_sheet=1)
    with pytest.raises(OSError, match="more rows than the report had"):
        over.write_rows([["k", "C", "C", "t"]] * 3)
        over.close()
