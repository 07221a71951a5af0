"""Building a downloads-hub report: its rows, slice by slice, into a file (or a preview).

Rows come from ``intent.reports.build_rows`` (the six reports' own columns and values), run
on one slice of customers at a time and cut down to the chosen columns, so memory holds one
slice however many customers and months a report covers. Rows are ordered by month, then by
customer id (renewal: each customer's agreements by end date). The file is written beside
its final name and renamed into place when complete; progress (rows written) is recorded
after each slice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from common.vocabulary import AREAS
from intent.hub_settings import ReportHubSettings
from intent.matrix import Matrix
from intent.report_definition import LIFETIME, MONTH_COLUMN, header, parse_range
from intent.report_writers import ChildProcessWriter, ReportWriter, open_background_writer
from intent.reports import REPORTS, MonthData, build_rows, columns, signal_ids_needed
from intent.settings import IntentSettings
from storage.customers import Customer
from storage.report_rows import MonthSlices, Slice
from storage.reports import DONE, FAILED, ReportRecord, ReportRepository
from storage.scores import CustomerMonth, PropensityRow, ScoreRepository

log = logging.getLogger("ascent.reports")
_EXPLANATION_COLUMNS = frozenset({"TopSignals", "WhyNow"})
_AREA_PARTS = ("Fit", "Intent", "Cell", "Cluster")


class MonthNotScored(LookupError):
    """A report asks for a month the monthly run has not scored (or no month is scored)."""


@dataclass(frozen=True)
class Built:
    file_id: int
    month: str
    status: str
    rows: int
    size: int
    path: str
    error: str = ""


class RowFilter:
    """The definition's filters: values of one key are alternatives, keys must all match.
    Cluster, cell, intent and fit apply to the ``area`` filter's areas (any of them), else to
    the source's first area."""

    def __init__(self, source: str, filters: Sequence[tuple[str, str]]):
        values: dict[str, list[str]] = defaultdict(list)
        for key, value in filters:
            values[key].append(value)
        self.text = {
            key: {v.casefold() for v in values[key]}
            for key in ("sub-segment", "industry", "vertical", "country", "partner")
            if key in values
        }
        self.areas = values.get("area") or [REPORTS[source].areas[0]]
        self.clusters = set(values.get("cluster", ()))
        self.cells = set(values.get("cell", ()))
        self.intent = [parse_range("intent", v) for v in values.get("intent", ())]
        self.fit = [parse_range("fit", v) for v in values.get("fit", ())]
        self.cohorts = set(values.get("cohort", ()))
        self.flags = set(values.get("flag", ()))
        self.scored = bool(self.clusters or self.cells or self.intent or self.fit)

    def keeps(
        self, customer: Customer, scores: dict[str, PropensityRow], month: CustomerMonth | None
    ) -> bool:
        fields = {
            "sub-segment": (customer.sub_segment,),
            "industry": (customer.industry,),
            "vertical": (customer.vertical,),
            "country": (customer.country,),
            "partner": (customer.partner_id, customer.partner_name),
        }
        for key, wanted in self.text.items():
            if not any((v or "").casefold() in wanted for v in fields[key]):
                return False
        if self.cohorts and not (month and self.cohorts & set(month.cohorts)):
            return False
        if self.flags and not (month and any(month.flags.get(f) for f in self.flags)):
            return False
        return not self.scored or any(self._area_keeps(scores.get(a)) for a in self.areas)

    def _area_keeps(self, row: PropensityRow | None) -> bool:
        if row is None:
            return False
        return (
            (not self.clusters or row.cluster in self.clusters)
            and (not self.cells or row.cell in self.cells)
            and (not self.intent or any(lo <= row.intent <= hi for lo, hi in self.intent))
            and (not self.fit or any(lo <= row.fit <= hi for lo, hi in self.fit))
        )


async def months_of(slices: MonthSlices, record: ReportRecord, run_month: str | None = None) -> list[str]:
    """The scored months a report covers: its own month, every scored month (Lifetime, up to
    ``run_month`` when given), or the run's month (a scheduled report)."""
    scored = await slices.scored_months()
    if record.month == LIFETIME:
        months = [m for m in scored if run_month is None or m <= run_month]
    else:
        months = [record.month or run_month or ""]
        if months[0] not in scored:
            raise MonthNotScored(
                f"month {months[0] or '(none)'} has not been scored; run `ascent monthly` for it first"
            )
    if not months:
        raise MonthNotScored("no month has been scored yet; run `ascent monthly` first")
    return months


async def report_rows(
    record: ReportRecord,
    months: Sequence[str],
    slices: MonthSlices,
    scores: ScoreRepository,
    settings: IntentSettings,
    chunk: int,
) -> AsyncIterator[list[list[Any]]]:
    """The report's rows (chosen columns, in order), one slice of customers at a time."""
    matrix = Matrix.from_settings(settings)
    keep = RowFilter(record.source, record.filters)
    full = columns(record.source)
    position = {name: i for i, name in enumerate(full)}
    explained = bool(_EXPLANATION_COLUMNS & set(record.columns))
    areas = areas_read(record, keep)
    for month in months:
        after = ""
        while ids := await slices.customer_ids_after(after, chunk):
            after = ids[-1]
            part = await slices.slice(month, ids[0], ids[-1], areas, explained)
            details = await scores.signal_details(signal_ids_needed(part.contributions)) if explained else {}
            data = _month_data(month, part, keep, details)
            if data.customers:
                # In a worker thread: the event loop (the UI's) keeps answering meanwhile.
                yield await asyncio.to_thread(_slice_rows, record, data, matrix, settings, position)


def areas_read(record: ReportRecord, keep: RowFilter) -> tuple[str, ...]:
    """The areas whose scores a report needs: its source's own (they order and explain its
    rows), those of its chosen columns and those its filters look at. Other areas' columns
    are built empty and never reach the file."""
    chosen = set(record.columns)
    return tuple(
        area
        for area in AREAS
        if area in REPORTS[record.source].areas
        or area in keep.areas
        or any(f"{area}{part}" in chosen for part in _AREA_PARTS)
    )


async def row_bound(slices: MonthSlices, record: ReportRecord, months: Sequence[str]) -> int:
    """At least the rows a report can have: a row per customer and month (renewal: per
    agreement and month); filters only ever drop rows."""
    per_month = await (slices.agreement_count() if record.source == "renewal" else slices.customer_count())
    return per_month * len(months)


def _slice_rows(
    record: ReportRecord, data: MonthData, matrix: Matrix, settings: IntentSettings, position: dict[str, int]
) -> list[list[Any]]:
    customer_at = position["CustomerID"]
    rows = build_rows(record.source, data, matrix, settings)
    rows.sort(key=itemgetter(customer_at))  # stable: agreements keep their order
    # The month, then the CRM id, go after the source's own columns; one itemgetter then
    # picks the chosen columns in their order (a million rows make the per-cell cost count).
    month_at, crm_at = len(position), len(position) + 1
    picks = [month_at if name == MONTH_COLUMN else position[name] for name in record.columns]
    if record.crm_column:
        picks.insert(0, crm_at)
    pick = itemgetter(*picks)
    single = len(picks) == 1
    projected = []
    for row in rows:
        row.append(data.month)
        if record.crm_column:
            row.append(record.crm_ids.get(str(row[customer_at]), ""))
        projected.append([pick(row)] if single else list(pick(row)))
    return projected


def _month_data(month: str, part: Slice, keep: RowFilter, details: dict[int, Any]) -> MonthData:
    kept = [
        c
        for c in part.customers
        if c.customer_id in part.customer_month
        and keep.keeps(c, part.propensity.get(c.customer_id, {}), part.customer_month.get(c.customer_id))
    ]
    return MonthData(
        month, kept, part.propensity, part.customer_month, part.contributions, part.agreements, details
    )


async def preview(
    record: ReportRecord,
    slices: MonthSlices,
    scores: ScoreRepository,
    settings: IntentSettings,
    limit: int,
) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The header and the first ``limit`` rows, without writing anything."""
    months = await months_of(slices, record)
    found: list[list[Any]] = []
    async for batch in report_rows(record, months, slices, scores, settings, max(limit, 100)):
        found.extend(batch[: limit - len(found)])
        if len(found) >= limit:
            break
    return header(record), found


def _abandon(writer: ReportWriter | ChildProcessWriter) -> None:
    """Stop a writer after a failure; its partial file is removed by the caller."""
    if isinstance(writer, ChildProcessWriter):
        writer.abort()
        return
    with contextlib.suppress(Exception):  # already failing: the first error is the one reported
        writer.close()


def file_name(record: ReportRecord, month_key: str) -> str:
    """Made of the numeric id and a checked month only: nothing a user typed reaches a path."""
    return f"report-{record.report_id}-{month_key}.{record.format}"


async def build_file(
    repo: ReportRepository,
    scores: ScoreRepository,
    record: ReportRecord,
    file_id: int,
    month_key: str,
    folder: Path,
    settings: IntentSettings,
    hub: ReportHubSettings,
) -> Built:
    """Write the file of (record, month_key); the file's record ends done or failed."""
    path = folder / file_name(record, month_key)
    partial = path.with_name(path.name + ".partial")
    written = 0
    try:
        months = await months_of(repo.rows, record, None if not record.scheduled else month_key)
        folder.mkdir(parents=True, exist_ok=True)
        bound = await row_bound(repo.rows, record, months)
        writer = await asyncio.to_thread(
            open_background_writer, record.format, partial, header(record), bom=record.bom, row_bound=bound
        )
        try:
            async for batch in report_rows(record, months, repo.rows, scores, settings, hub.chunk_customers):
                await asyncio.to_thread(writer.write_rows, batch)
                written += len(batch)
                await repo.progress(file_id, written)
            await asyncio.to_thread(writer.close)
        except BaseException:
            await asyncio.to_thread(_abandon, writer)
            raise
        os.replace(partial, path)
    except Exception as exc:  # the file's record says why; the caller's run goes on
        partial.unlink(missing_ok=True)
        error = str(exc) or type(exc).__name__
        log.warning("report build failed", extra={"report_id": record.report_id, "error": error})
        await repo.finish(file_id, FAILED, row_count=written, byte_size=0, path="", error=error)
        return Built(file_id, month_key, FAILED, written, 0, "", error)
    size = path.stat().st_size
    await repo.finish(file_id, DONE, row_count=written, byte_size=size, path=str(path))
    return Built(file_id, month_key, DONE, written, size, str(path))
