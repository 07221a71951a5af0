"""The six propensity reports of SPEC §7 as CSV files (one file per report and month).

Every row starts with the firmographic block, then ``<Area>Fit, <Area>Intent, <Area>Cell,
<Area>Cluster`` for the report's own areas followed by all other areas, the ten flags, the
report's cohorts, ``PotentialRevenue``, ``TopSignals`` and ``WhyNow``; the renewal report adds
the agreement columns at the end (one row per agreement ending within the renewal window).

Files are UTF-8 (optionally with a BOM for Excel), dates are ISO, and every text cell that a
spreadsheet would read as a formula (starting with ``= + - @``, tab or carriage return) gets a
leading apostrophe. Numbers are written as numbers. The same month exports byte-identical files.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from common.vocabulary import AREAS, COHORTS, FLAGS
from intent.matrix import Matrix
from intent.monthly import month_bounds
from intent.revenue import report_revenue
from intent.settings import IntentSettings
from storage.customers import Agreement, Customer
from storage.scores import CustomerMonth, PropensityRow, ScoreRepository, SignalDetail

FIRMOGRAPHIC_COLUMNS: tuple[str, ...] = (
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
)
AGREEMENT_COLUMNS: tuple[str, ...] = (
    "AgreementID",
    "LicenseProgram",
    "AgreementEndDate",
    "RevSumDivisionName",
    "ExpiringRevenue",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ReportSpec:
    name: str
    areas: tuple[str, ...]
    cohorts: tuple[str, ...]


REPORTS: dict[str, ReportSpec] = {
    "azure": ReportSpec("azure", ("Azure",), ("Azure_M365NoAzure",)),
    "m365": ReportSpec("m365", ("M365",), ("M365_MoveToCloud", "M365_UpsellExisting", "M365_Copilot")),
    "d365": ReportSpec("d365", ("D365BC", "D365SP", "PowerApps"), ("D365BC_MigrateOnPrem",)),
    "security": ReportSpec("security", ("Security",), ("Security_UpsellE5",)),
    "surface": ReportSpec(
        "surface",
        ("Surface",),
        (
            "Surface_Acquire_1_49Seats",
            "Surface_Acquire_50PlusSeats",
            "Surface_Upsell_1_24Devices",
            "Surface_Upsell_25PlusDevices",
        ),
    ),
    "renewal": ReportSpec("renewal", AREAS, COHORTS),
}


def area_order(spec: ReportSpec) -> list[str]:
    return [*spec.areas, *[a for a in AREAS if a not in spec.areas]]


def columns(report: str) -> list[str]:
    """The header of a report, exactly as SPEC §7 orders it."""
    spec = REPORTS[report]
    header = list(FIRMOGRAPHIC_COLUMNS)
    for area in area_order(spec):
        header += [f"{area}Fit", f"{area}Intent", f"{area}Cell", f"{area}Cluster"]
    header += list(FLAGS)
    header += list(spec.cohorts)
    header += ["PotentialRevenue", "TopSignals", "WhyNow"]
    if report == "renewal":
        header += list(AGREEMENT_COLUMNS)
    return header


def neutralise(value: Any) -> Any:
    """Make a text cell safe for spreadsheets; numbers stay numbers."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return value
    text = "" if value is None else str(value)
    # Importers that trim leading whitespace would see "  =1+1" as a formula too.
    if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


@dataclass
class MonthData:
    """A scored month, read once for all reports."""

    month: str
    customers: list[Customer]
    propensity: dict[str, dict[str, PropensityRow]]  # customer -> area -> row
    customer_month: dict[str, CustomerMonth]
    contributions: dict[tuple[str, str], list[dict[str, Any]]]
    agreements: list[Agreement]
    signal_details: dict[int, SignalDetail]


def _top_for(
    contributions: dict[tuple[str, str], list[dict[str, Any]]], customer_id: str, spec: ReportSpec, limit: int
) -> list[tuple[int, float]]:
    """(signal_id, weight) of the strongest positive contributions in the report's areas."""
    best: dict[int, float] = {}
    for area in spec.areas:
        for item in contributions.get((customer_id, area), ()):
            weight = float(item.get("weight", 0.0))
            sid = int(item.get("signal_id", 0))
            if weight > 0 and weight > best.get(sid, 0.0):
                best[sid] = weight
    return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def signal_ids_needed(contributions: dict[tuple[str, str], list[dict[str, Any]]]) -> set[int]:
    return {int(item.get("signal_id", 0)) for items in contributions.values() for item in items}


def build_rows(report: str, data: MonthData, matrix: Matrix, settings: IntentSettings) -> list[list[Any]]:
    """The report's rows, best prospects first (renewal: soonest agreement first)."""
    spec = REPORTS[report]
    ordered_areas = area_order(spec)
    by_id = {c.customer_id: c for c in data.customers}
    limit = settings.top_signals_in_report
    body: dict[str, list[Any]] = {}
    sort_keys: dict[str, tuple[Any, ...]] = {}
    for customer in data.customers:
        scores = data.propensity.get(customer.customer_id, {})
        cm = data.customer_month.get(customer.customer_id)
        row: list[Any] = [
            customer.partner_id,
            customer.partner_name,
            customer.customer_id,
            customer.account_name,
            customer.domain,
            customer.org_size,
            customer.industry,
            customer.vertical,
            customer.city,
            customer.state,
            customer.postal_code,
            customer.country,
            customer.sub_segment,
            _yes(customer.is_nonprofit),
        ]
        for area in ordered_areas:
            p = scores.get(area)
            row += [_number(p.fit), _number(p.intent), p.cell, p.cluster] if p else [0, 0, "", ""]
        flags = cm.flags if cm else {}
        row += [_yes(bool(flags.get(flag))) for flag in FLAGS]
        members = set(cm.cohorts) if cm else set()
        row += [_yes(name in members) for name in spec.cohorts]
        row.append(_number(report_revenue(cm.potential_revenue, report)) if cm else 0)
        top = _top_for(data.contributions, customer.customer_id, spec, limit)
        details = [d for d in (data.signal_details.get(sid) for sid, _ in top) if d is not None]
        row.append(" | ".join(f"{d.published} {d.signal_type} {d.url}" for d in details))
        row.append(next((d.why_now for d in details if d is not None and d.why_now), ""))
        body[customer.customer_id] = row
        first = scores.get(spec.areas[0])
        rank = matrix.cluster_rank(first.cluster) if first else len(matrix.clusters)
        best = max((scores[a].intent + scores[a].fit for a in spec.areas if a in scores), default=0.0)
        sort_keys[customer.customer_id] = (rank, -best, customer.customer_id)
    if report != "renewal":
        return [body[cid] for cid in sorted(body, key=lambda cid: sort_keys[cid])]
    first_day, _ = month_bounds(data.month)
    end = _add_months(first_day, settings.renewal_window_months)
    rows: list[list[Any]] = []
    due = [
        a
        for a in data.agreements
        if a.customer_id in by_id and first_day.isoformat() <= a.agreement_end_date[:10] < end.isoformat()
    ]
    due.sort(key=lambda a: (a.agreement_end_date[:10], a.customer_id, a.agreement_id))
    for agreement in due:
        rows.append(
            [
                *body[agreement.customer_id],
                agreement.agreement_id,
                agreement.license_program,
                agreement.agreement_end_date[:10],
                agreement.rev_sum_division_name,
                _number(agreement.expiring_revenue),
            ]
        )
    return rows


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def render_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def report_filename(report: str, month: str) -> str:
    return f"{report}-{month}.csv"


async def load_month(
    repo: ScoreRepository, customers: Any, month: str, settings: IntentSettings
) -> MonthData:
    """Read a scored month once (customers, propensity, flags, agreements, signal details)."""
    propensity: dict[str, dict[str, PropensityRow]] = {}
    for row in await repo.propensity(month):
        propensity.setdefault(row.customer_id, {})[row.area] = row
    customer_month = await repo.customer_months(month)
    contributions = await repo.contributions(month)
    details = await repo.signal_details(signal_ids_needed(contributions))
    return MonthData(
        month,
        list(await customers.all()),
        propensity,
        customer_month,
        contributions,
        list(await customers.agreements()),
        details,
    )


def write_reports(
    data: MonthData, reports: Sequence[str], out_dir: Path, settings: IntentSettings, bom: bool | None = None
) -> list[tuple[Path, int]]:
    """Write each report atomically; returns (path, data rows) per report."""
    matrix = Matrix.from_settings(settings)
    use_bom = settings.csv_bom if bom is None else bom
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, int]] = []
    for report in reports:
        rows = build_rows(report, data, matrix, settings)
        content = render_csv(columns(report), rows, use_bom)
        path = out_dir / report_filename(report, data.month)
        temporary = path.with_suffix(".csv.tmp")
        temporary.write_bytes(content)
        os.replace(temporary, path)
        written.append((path, len(rows)))
    return written
