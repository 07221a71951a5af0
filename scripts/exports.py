"""The one export path: a scored month's propensity reports, as rows or as CSV files.

``ascent export``, the daemon's monthly run and the demo all write through
:func:`export_month`; a caller that renders reports some other way (a spreadsheet, a web page)
reads :func:`report_tables` and owns the escaping of its cells (``intent.reports.neutralise``
makes a text cell formula-safe, as the CSV files are).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import InputError, NotFoundError
from common.vocabulary import REPORT_NAMES
from intent.reports import MonthData
from intent.settings import IntentSettings
from storage.store import Store


class MonthNotScored(NotFoundError):
    """The month has no scores yet, so it has no reports."""

    def __init__(self, month: str):
        super().__init__(
            f"month {month} has not been scored; run `ascent monthly --month {month}` first"
        )
        self.month = month


@dataclass(frozen=True)
class ReportTable:
    """One report of one month: its header and its rows (cells as the model holds them,
    not yet escaped for a spreadsheet)."""

    report: str
    month: str
    header: list[str]
    rows: list[list[Any]]


def chosen_reports(choice: str) -> list[str]:
    """The report names a user's choice stands for: one name, or ``all`` (InputError else)."""
    if choice == "all":
        return list(REPORT_NAMES)
    if choice not in REPORT_NAMES:
        raise InputError(f"no report {choice!r}; choose one of {', '.join(REPORT_NAMES)} or all")
    return [choice]


async def scored_month(store: Store, month: str, settings: IntentSettings) -> MonthData:
    """Everything the reports of ``month`` need, read once; MonthNotScored when it has no
    scores and InputError when ``month`` is not a month."""
    from intent.months import checked_month
    from intent.reports import load_month

    checked_month(month)
    if not await store.scores.month_scored(month):
        raise MonthNotScored(month)
    return await load_month(store.scores, store.customers, month, settings)


def report_tables(data: MonthData, reports: Sequence[str], settings: IntentSettings) -> Iterator[ReportTable]:
    """Each report's header and rows, in the order of ``reports``."""
    from intent.matrix import Matrix
    from intent.reports import build_rows, columns

    matrix = Matrix.from_settings(settings)
    for report in reports:
        yield ReportTable(report, data.month, columns(report), build_rows(report, data, matrix, settings))


async def export_month(
    store: Store,
    month: str,
    reports: Sequence[str],
    out_dir: Path,
    settings: IntentSettings,
    *,
    bom: bool | None = None,
) -> list[tuple[Path, int]]:
    """Write the month's ``reports`` as formula-safe CSV files under ``out_dir``, each
    atomically, and log the run; returns (path, data rows) per report.

    ``bom`` (None: the ``csv_bom`` setting) starts each file with a UTF-8 byte order mark for
    Excel. The files are rendered in a worker thread, so a server's loop keeps answering.
    """
    from intent.reports import write_reports

    data = await scored_month(store, month, settings)
    # A database on read-only media exports all the same, only without its run log entry.
    logged = not getattr(store.db, "read_only", False)
    inputs = {"reports": list(reports), "out": str(out_dir)}
    run_id = await store.runs.start("export", month, inputs) if logged else None
    written = await asyncio.to_thread(write_reports, data, list(reports), out_dir, settings, bom)
    if run_id is not None:
        await store.runs.finish(run_id, "ok", {"files": {str(path): rows for path, rows in written}})
    return written
