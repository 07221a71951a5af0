"""Streaming writers of a report file: CSV (UTF-8, optional BOM, formula-safe cells) and XLSX
(rust_xlsxwriter through rustpy-xlsxwriter, in constant-memory mode: typed numbers and dates,
frozen header, autofilter).

Both stream rows, so memory stays flat however many rows a report has. In XLSX every text is
written as a string cell, never as a formula, whatever it starts with.

:class:`ChildProcessWriter` runs the XLSX writer in a child process fed through a small
bounded queue: the rows of the next slice are built while the last ones are written (one
core each), and the writing never holds the interpreter lock of the process that serves the UI.
"""

from __future__ import annotations

import contextlib
import csv
import multiprocessing
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from intent.reports import neutralise

EXCEL_ROWS = 1_048_575  # data rows a worksheet holds below its header (Excel's limit)
EXCEL_CELL_CHARS = 32_767  # UTF-16 units a cell holds (Excel's limit)
_SAFE_TEXT = EXCEL_CELL_CHARS // 2  # a str this long or shorter fits whatever it holds
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
    """A workbook of one or more worksheets of up to ``rows_per_sheet`` data rows each
    (Excel's limit by default): "Report", "Report 2", ..., each with its header, frozen first
    row and autofilter.

    The library (rustpy-xlsxwriter, bindings to rust_xlsxwriter in constant-memory mode) pulls
    rows from an iterator and wants the list of worksheets up front, so the caller gives
    ``row_bound``, an upper bound of the rows to come: the workbook gets one worksheet per
    ``rows_per_sheet`` of it. A worksheet the rows never reach (filters dropped more rows than
    the bound foresaw) keeps its header only. The library runs in a thread that takes the
    rows from a small bounded queue, so memory holds a few batches however many rows come.
    """

    def __init__(
        self,
        path: Path,
        header: Sequence[str],
        *,
        row_bound: int,
        sheet: str = "Report",
        rows_per_sheet: int = EXCEL_ROWS,
    ):
        self._batches: queue.Queue[list[Sequence[Any]] | None] = queue.Queue(QUEUED_BATCHES)
        self._error: BaseException | None = None
        sheets = max(1, -(-row_bound // rows_per_sheet))
        names = [sheet[:24] if n == 1 else f"{sheet[:24]} {n}" for n in range(1, sheets + 1)]
        self._thread = threading.Thread(
            target=self._write, args=(path, list(header), names, rows_per_sheet), daemon=True
        )
        self._thread.start()

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        self._put(list(rows))

    def close(self) -> None:
        self._put(None)
        self._thread.join()
        if self._error is not None:
            raise OSError(f"writing the workbook failed: {self._error}") from self._error

    def _put(self, batch: list[Sequence[Any]] | None) -> None:
        while self._thread.is_alive():
            try:
                self._batches.put(batch, timeout=CHILD_POLL_S)
                return
            except queue.Full:
                continue
        raise OSError(f"writing the workbook failed: {self._error or 'the writer stopped'}")

    def _write(self, path: Path, header: list[str], names: list[str], rows_per_sheet: int) -> None:
        import rustpy_xlsxwriter

        try:
            records = _records(header, self._rows())
            sheets: list[tuple[str, Any]] = [
                (name, _at_least_header(header, islice(records, rows_per_sheet))) for name in names
            ]
            rustpy_xlsxwriter.write_worksheets(
                sheets,
                str(path),
                freeze_panes={"general": {"row": 1, "col": 0}},
                autofilter={"general": True},
                bold_headers=True,
                datetime_format="yyyy-mm",
                column_formats={name: _column_formats(header) for name in names},
            )
            if next(records, None) is not None:
                raise OSError("more rows than the report had when its build started; build it again")
        except BaseException as exc:  # handed to close(), which raises it in the writing thread
            self._error = exc
            self._drain()

    def _rows(self) -> Iterator[Sequence[Any]]:
        while (batch := self._batches.get()) is not None:
            yield from batch

    def _drain(self) -> None:
        """After a failure: take what is queued so a producer waiting on the queue wakes up."""
        with contextlib.suppress(queue.Empty):
            while True:
                self._batches.get_nowait()


def _records(header: list[str], rows: Iterable[Sequence[Any]]) -> Iterator[dict[str, Any]]:
    """Rows as the library takes them: dicts keyed by (unique) column names, months and
    dates as dates, over-long text cut to Excel's cell limit."""
    keys = _unique(header)
    kinds = [_kind(name) for name in header]
    special = [(i, kind) for i, kind in enumerate(kinds) if kind != "text"]
    for row in rows:
        values = list(row)
        for i, kind in special:
            values[i] = _date(values[i], kind)
        for i, value in enumerate(values):
            if value.__class__ is str and len(value) > _SAFE_TEXT:
                values[i] = _cut(value)
            elif value.__class__ is bool:
                values[i] = "Yes" if value else "No"
        yield dict(zip(keys, values, strict=True))


def _at_least_header(keys: list[str], records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The records of one worksheet; one empty row when there are none, because the library
    takes the header from the first record (a worksheet without rows keeps its header)."""
    empty = True
    for record in records:
        empty = False
        yield record
    if empty:
        yield dict.fromkeys(_unique(keys))


def _unique(header: Sequence[str]) -> list[str]:
    """Column names as dict keys (cut to a cell's limit): a repeated name (a CRM id column
    named like one of ours) gets " 2", " 3", ... so that no column is lost."""
    keys: list[str] = []
    for name in header:
        key, n = _cut(name), 1
        while key in keys:
            n += 1
            key = f"{_cut(name)} {n}"
        keys.append(key)
    return keys


def _column_formats(header: Sequence[str]) -> dict[str, Any]:
    import rustpy_xlsxwriter

    keys = _unique(header)
    return {
        key: rustpy_xlsxwriter.Format().set_num_format("yyyy-mm-dd")
        for key, name in zip(keys, header, strict=True)
        if _kind(name) == "date"
    }


def _cut(text: str) -> str:
    """Text cut to Excel's cell limit, which counts UTF-16 units (two for a character beyond
    the Basic Multilingual Plane); one pass, whatever the text holds."""
    if len(text) <= _SAFE_TEXT:
        return text
    units = 0
    for at, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > EXCEL_CELL_CHARS:
            return text[:at]
    return text


def _kind(name: str) -> str:
    if name in DATE_COLUMNS:
        return "date"
    return "month" if name in MONTH_COLUMNS else "text"


def _date(value: Any, kind: str) -> Any:
    """A month or date cell as a date; anything else (empty, not a date) as it came."""
    if not value:
        return value
    text = str(value)
    try:
        return date.fromisoformat(f"{text[:7]}-01" if kind == "month" else text[:10])
    except ValueError:
        return value


def open_writer(
    format: str, path: Path, header: Sequence[str], *, bom: bool = False, row_bound: int = 0
) -> ReportWriter:
    """``row_bound``: at least the rows to come (XLSX makes its worksheets from it)."""
    if format == "xlsx":
        return XlsxReportWriter(path, header, row_bound=row_bound)
    return CsvReportWriter(path, header, bom=bom)


class ChildProcessWriter:
    """A writer of :func:`open_writer` running in a child process (spawned: the parent may
    hold threads and open databases that a fork would copy)."""

    def __init__(
        self, format: str, path: Path, header: Sequence[str], *, bom: bool = False, row_bound: int = 0
    ):
        context = multiprocessing.get_context("spawn")
        self._rows: multiprocessing.Queue[list[Sequence[Any]] | None] = context.Queue(QUEUED_BATCHES)
        self._outcome: multiprocessing.Queue[str] = context.Queue()
        self._process = context.Process(
            target=_write_in_child,
            args=(format, str(path), list(header), bom, row_bound, self._rows, self._outcome),
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
    row_bound: int,
    rows: multiprocessing.Queue[list[Sequence[Any]] | None],
    outcome: multiprocessing.Queue[str],
) -> None:
    try:
        writer = open_writer(format, Path(path), header, bom=bom, row_bound=row_bound)
        for batch in _batches_while_parent_lives(rows):
            writer.write_rows(batch)
        writer.close()
    except BaseException as exc:  # reported to the parent, which fails the report with it
        outcome.put(f"{type(exc).__name__}: {exc}")
        return
    outcome.put("")


def _batches_while_parent_lives(
    rows: multiprocessing.Queue[list[Sequence[Any]] | None],
) -> Iterator[list[Sequence[Any]]]:
    """The batches up to the end mark; a parent that is killed sends none, so the writer
    stops (and exits) once the parent is gone instead of waiting for ever."""
    parent = multiprocessing.parent_process()
    while True:
        try:
            batch = rows.get(timeout=CHILD_POLL_S)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                raise OSError("the process building the report ended") from None
            continue
        if batch is None:
            return
        yield batch


def open_background_writer(
    format: str, path: Path, header: Sequence[str], *, bom: bool = False, row_bound: int = 0
) -> ReportWriter | ChildProcessWriter:
    """XLSX in a child process; CSV (cheap to write) in this one."""
    if format == "xlsx":
        return ChildProcessWriter(format, path, header, bom=bom, row_bound=row_bound)
    return open_writer(format, path, header, bom=bom)
