"""Streaming writers of a report file: CSV (UTF-8, optional BOM, formula-safe cells) and XLSX
(xlsxwriter in constant-memory mode: typed numbers and dates, frozen header, autofilter).

Both write one row at a time, so memory stays flat however many rows a report has. In XLSX
every text is written as a string cell, never as a formula, whatever it starts with.

Writing XLSX costs more CPU than building the rows, so :class:`ChildProcessWriter` runs the
XLSX writer in a child process fed through a small bounded queue: the rows of the next slice
are built while the last ones are written, and the writing never holds the interpreter lock
of the process that serves the UI.
"""

from __future__ import annotations

import csv
import multiprocessing
import queue
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from intent.reports import neutralise

EXCEL_ROWS = 1_048_575  # data rows a worksheet holds below its header (Excel's limit)
QUEUED_BATCHES = 4  # batches in flight to the child writer: bounds the memory between them
CHILD_POLL_S = 1.0
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
    """One worksheet of up to ``rows_per_sheet`` data rows (Excel's limit by default), then
    the next ("Report 2", ...), each with its header, frozen first row and autofilter."""

    def __init__(
        self, path: Path, header: Sequence[str], *, sheet: str = "Report", rows_per_sheet: int = EXCEL_ROWS
    ):
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
        self._bold = self._book.add_format({"bold": True})
        self._day = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._month = self._book.add_format({"num_format": "yyyy-mm"})
        self._header = list(header)
        self._kinds = [_kind(name) for name in header]
        self._title = sheet[:24]
        self._rows_per_sheet = rows_per_sheet
        self._sheets = 0
        self._sheet = self._new_sheet()
        self._row = 0

    def _new_sheet(self) -> Any:
        self._sheets += 1
        name = self._title if self._sheets == 1 else f"{self._title} {self._sheets}"
        sheet = self._book.add_worksheet(name)
        for column, title in enumerate(self._header):
            sheet.write_string(0, column, title, self._bold)
        sheet.freeze_panes(1, 0)
        return sheet

    def _finish_sheet(self) -> None:
        self._sheet.autofilter(0, 0, max(self._row, 1), max(len(self._header) - 1, 0))

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        sheet = self._sheet
        for values in rows:
            if self._row == self._rows_per_sheet:
                self._finish_sheet()
                sheet = self._sheet = self._new_sheet()
                self._row = 0
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
        self._finish_sheet()
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


class ChildProcessWriter:
    """A writer of :func:`open_writer` running in a child process (spawned: the parent may
    hold threads and open databases that a fork would copy)."""

    def __init__(self, format: str, path: Path, header: Sequence[str], *, bom: bool = False):
        context = multiprocessing.get_context("spawn")
        self._rows: multiprocessing.Queue[list[Sequence[Any]] | None] = context.Queue(QUEUED_BATCHES)
        self._outcome: multiprocessing.Queue[str] = context.Queue()
        self._process = context.Process(
            target=_write_in_child,
            args=(format, str(path), list(header), bom, self._rows, self._outcome),
            daemon=True,
        )
        self._process.start()

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        self._put(list(rows))

    def close(self) -> None:
        self._put(None)
        try:
            error = self._outcome.get(timeout=3600)
        finally:
            self._process.join(timeout=60)
        if error:
            raise OSError(f"writing the report failed: {error}")

    def abort(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=60)

    def _put(self, batch: list[Sequence[Any]] | None) -> None:
        while True:
            try:
                self._rows.put(batch, timeout=CHILD_POLL_S)
                return
            except queue.Full:
                if not self._process.is_alive():
                    raise OSError(f"writing the report failed: {self._child_error()}") from None

    def _child_error(self) -> str:
        try:
            return self._outcome.get_nowait() or "the writer stopped"
        except queue.Empty:
            return f"the writer process ended (exit code {self._process.exitcode})"


def _write_in_child(
    format: str,
    path: str,
    header: list[str],
    bom: bool,
    rows: multiprocessing.Queue[list[Sequence[Any]] | None],
    outcome: multiprocessing.Queue[str],
) -> None:
    try:
        writer = open_writer(format, Path(path), header, bom=bom)
        while (batch := rows.get()) is not None:
            writer.write_rows(batch)
        writer.close()
    except BaseException as exc:  # reported to the parent, which fails the report with it
        outcome.put(f"{type(exc).__name__}: {exc}")
        return
    outcome.put("")


def open_background_writer(
    format: str, path: Path, header: Sequence[str], *, bom: bool = False
) -> ReportWriter | ChildProcessWriter:
    """XLSX in a child process; CSV (cheap to write) in this one."""
    if format == "xlsx":
        return ChildProcessWriter(format, path, header, bom=bom)
    return open_writer(format, path, header, bom=bom)
