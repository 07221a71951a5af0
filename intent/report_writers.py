"""Streaming writers of a report file: CSV (UTF-8, optional BOM, formula-safe cells) and XLSX
(xlsxwriter in constant-memory mode: typed numbers and dates, frozen header, autofilter).

Both write one row at a time, so memory stays flat however many rows a report has. In XLSX
every text is written as a string cell, never as a formula, whatever it starts with.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from intent.reports import neutralise

DATE_COLUMNS = frozenset({"AgreementEndDate"})
MONTH_COLUMNS = frozenset({"Month"})
BOM = "\ufeff"


class ReportWriter(Protocol):
    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None: ...
    def close(self) -> None: ...


class CsvReportWriter:
    def __init__(self, path: Path, header: Sequence[str], *, bom: bool = False):
        self._file = path.open("w", encoding="utf-8", newline="")
        if bom:
            self._file.write(BOM)
        self._csv = csv.writer(self._file, lineterminator="\r\n")
        self._csv.writerow(header)

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        self._csv.writerows([neutralise(v) for v in row] for row in rows)

    def close(self) -> None:
        self._file.close()


class XlsxReportWriter:
    def __init__(self, path: Path, header: Sequence[str], *, sheet: str = "Report"):
        import xlsxwriter

        self._book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,  # rows go to disk as they are written
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self._sheet = self._book.add_worksheet(sheet[:31])
        bold = self._book.add_format({"bold": True})
        self._day = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._month = self._book.add_format({"num_format": "yyyy-mm"})
        self._kinds = [_kind(name) for name in header]
        self._width = len(header)
        for column, name in enumerate(header):
            self._sheet.write_string(0, column, name, bold)
        self._sheet.freeze_panes(1, 0)
        self._row = 0

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        sheet = self._sheet
        for values in rows:
            self._row += 1
            r = self._row
            for column, value in enumerate(values):
                kind = self._kinds[column]
                if isinstance(value, bool):
                    sheet.write_string(r, column, "Yes" if value else "No")
                elif isinstance(value, int | float):
                    sheet.write_number(r, column, value)
                elif kind != "text" and (day := _date(value, kind)) is not None:
                    sheet.write_datetime(r, column, day, self._month if kind == "month" else self._day)
                elif value is None or value == "":
                    continue
                else:
                    sheet.write_string(r, column, str(value))

    def close(self) -> None:
        self._sheet.autofilter(0, 0, max(self._row, 1), max(self._width - 1, 0))
        self._book.close()


def _kind(name: str) -> str:
    if name in DATE_COLUMNS:
        return "date"
    return "month" if name in MONTH_COLUMNS else "text"


def _date(value: Any, kind: str) -> date | None:
    text = str(value)
    try:
        return date.fromisoformat(f"{text[:7]}-01" if kind == "month" else text[:10])
    except ValueError:
        return None


def open_writer(format: str, path: Path, header: Sequence[str], *, bom: bool = False) -> ReportWriter:
    if format == "xlsx":
        return XlsxReportWriter(path, header)
    return CsvReportWriter(path, header, bom=bom)
