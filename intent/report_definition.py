"""What a downloads-hub report is: a data source, columns in order, filters, a month or
Lifetime, a name and a format; every part checked before anything is stored or built.

A definition names columns from its source's own column list (``intent.reports.columns``),
either one by one or through a preset. A Lifetime report (every scored month, one row per
customer and month) always carries the ``Month`` column, first unless the user placed it.
Filters are ``KEY=VALUE`` pairs: values of one key are alternatives (any may match), different
keys must all match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from common.errors import InputError
from common.vocabulary import AREAS, COHORTS, FLAGS, REPORT_NAMES
from intent.months import MonthError, checked_month
from intent.reports import AGREEMENT_COLUMNS, FIRMOGRAPHIC_COLUMNS, REPORTS, area_order, columns
from storage.reports import ReportRecord

LIFETIME = "lifetime"
MONTH_COLUMN = "Month"
FORMATS = ("csv", "xlsx")
PRESETS = ("all", "firmographics", "propensity", "cohorts", "revenue", "explanation")
TEXT_FILTERS = ("sub-segment", "industry", "vertical", "country", "partner")
FILTER_KEYS = ("cluster", "cell", "area", *TEXT_FILTERS, "cohort", "flag", "intent", "fit")
MAX_NAME_CHARS = 120
MAX_FILTER_VALUE_CHARS = 200
MAX_FILTERS = 50
_IDENTITY = ("CustomerID", "AccountName")
_RANGE = re.compile(r"^\s*(\d{1,3}(?:\.\d+)?)?\s*-\s*(\d{1,3}(?:\.\d+)?)?\s*$")


class ReportInputError(InputError):
    """A report definition names an unknown source, column, preset, filter or format."""


def header(record: ReportRecord) -> tuple[str, ...]:
    """A file's header: the CRM's own id column (when matched) before the chosen columns."""
    return (record.crm_column, *record.columns) if record.crm_column else record.columns


def available_columns(source: str) -> list[str]:
    """Every column a report of ``source`` may carry, ``Month`` first."""
    return [MONTH_COLUMN, *columns(checked_source(source))]


def preset_columns(source: str, preset: str) -> list[str]:
    """The columns of a preset, in the source's order."""
    source = checked_source(source)
    if preset not in PRESETS:
        raise ReportInputError(f"preset: unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    spec = REPORTS[source]
    if preset == "all":
        return columns(source)
    if preset == "firmographics":
        return list(FIRMOGRAPHIC_COLUMNS)
    if preset == "propensity":
        scored = [f"{a}{part}" for a in area_order(spec) for part in ("Fit", "Intent", "Cell", "Cluster")]
        return [*_IDENTITY, *scored]
    if preset == "cohorts":
        return [*_IDENTITY, *FLAGS, *spec.cohorts]
    if preset == "revenue":
        agreement = list(AGREEMENT_COLUMNS) if source == "renewal" else []
        return [*_IDENTITY, "PotentialRevenue", *agreement]
    return [*_IDENTITY, "TopSignals", "WhyNow"]


def checked_source(source: str) -> str:
    if source not in REPORT_NAMES:
        raise ReportInputError(f"source: unknown data source {source!r}; known: {', '.join(REPORT_NAMES)}")
    return source


def checked_columns(source: str, chosen: Sequence[str], month: str) -> tuple[str, ...]:
    """The chosen columns in order; unknown or repeated ones are refused, and a Lifetime
    report gains ``Month`` in front when it was not chosen."""
    allowed = set(available_columns(source))
    wanted = [c.strip() for c in chosen if c.strip()]
    if not wanted:
        raise ReportInputError("columns: choose at least one column (or a preset)")
    unknown = [c for c in wanted if c not in allowed]
    if unknown:
        raise ReportInputError(
            f"columns: unknown column(s) for {source}: {', '.join(unknown)}; "
            f"known: {', '.join(available_columns(source))}"
        )
    repeated = sorted({c for c in wanted if wanted.count(c) > 1})
    if repeated:
        raise ReportInputError(f"columns: chosen more than once: {', '.join(repeated)}")
    if month == LIFETIME and MONTH_COLUMN not in wanted:
        wanted.insert(0, MONTH_COLUMN)
    return tuple(wanted)


def checked_month_choice(month: str, *, scheduled: bool) -> str:
    """YYYY-MM or ``lifetime``; a scheduled report takes each scored month (empty) or every
    scored month up to it (``lifetime``)."""
    text = (month or "").strip().lower()
    if scheduled:
        if text and text != LIFETIME:
            raise ReportInputError(
                "month: a scheduled report is built for each monthly run; leave it out (or 'lifetime')"
            )
        return text
    if text == LIFETIME:
        return LIFETIME
    try:
        return checked_month(text)
    except MonthError as exc:
        raise ReportInputError(f"month: {exc} (or 'lifetime')") from exc


def parse_filter(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` as a checked (key, value) pair."""
    key, sep, value = text.partition("=")
    if not sep:
        raise ReportInputError(f"filter: {text!r} is not KEY=VALUE")
    return checked_filter(key, value)


def checked_filter(key: str, value: str) -> tuple[str, str]:
    key = key.strip().lower().replace("_", "-")
    value = value.strip()
    if key not in FILTER_KEYS:
        raise ReportInputError(f"filter: unknown filter {key!r}; known: {', '.join(FILTER_KEYS)}")
    if not value:
        raise ReportInputError(f"filter: {key} needs a value")
    if len(value) > MAX_FILTER_VALUE_CHARS or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ReportInputError(f"filter: {key}: the value is too long or holds control characters")
    choices = {"area": AREAS, "cohort": COHORTS, "flag": FLAGS}.get(key)
    if choices is not None and value not in choices:
        raise ReportInputError(f"filter: {key}: unknown {key} {value!r}; known: {', '.join(choices)}")
    if key in ("intent", "fit"):
        parse_range(key, value)
    return key, value


def parse_range(key: str, value: str) -> tuple[float, float]:
    """``MIN-MAX`` (either end may be left out) within 0..100."""
    match = _RANGE.match(value)
    if not match or (match.group(1) is None and match.group(2) is None):
        raise ReportInputError(f"filter: {key}: {value!r} is not a range MIN-MAX within 0-100 (e.g. 60-100)")
    low = float(match.group(1) or 0)
    high = float(match.group(2) or 100)
    if not 0 <= low <= high <= 100:
        raise ReportInputError(f"filter: {key}: {value!r} must satisfy 0 <= MIN <= MAX <= 100")
    return low, high


def checked_matrix_filters(
    filters: Iterable[tuple[str, str]], cells: Iterable[str], clusters: Iterable[str]
) -> None:
    """Cell and cluster names come from the matrix setting, so they are checked against it."""
    known = {"cell": sorted(cells), "cluster": list(clusters)}
    for key, value in filters:
        if key in known and value not in known[key]:
            raise ReportInputError(f"filter: {key}: unknown {key} {value!r}; known: {', '.join(known[key])}")


def checked_name(name: str, source: str, month: str) -> str:
    text = " ".join((name or "").split())
    if len(text) > MAX_NAME_CHARS:
        raise ReportInputError(f"name: at most {MAX_NAME_CHARS} characters")
    return text or f"{source} {month or 'monthly'}"


def make_definition(
    *,
    source: str,
    columns: Sequence[str] = (),
    preset: str | None = None,
    filters: Iterable[tuple[str, str]] = (),
    month: str = "",
    name: str = "",
    format: str = "csv",
    bom: bool = False,
    scheduled: bool = False,
    crm_column: str = "",
    crm_ids: Mapping[str, str] | None = None,
) -> ReportRecord:
    """A checked definition from raw user choices (ReportInputError names the first problem)."""
    source = checked_source((source or "").strip())
    if format not in FORMATS:
        raise ReportInputError(f"format: unknown format {format!r}; known: {', '.join(FORMATS)}")
    if preset and any(c.strip() for c in columns):
        raise ReportInputError("columns: give either columns or a preset, not both")
    month = checked_month_choice(month, scheduled=scheduled)
    chosen = preset_columns(source, preset) if preset else list(columns)
    checked = [checked_filter(k, v) for k, v in filters]
    if len(checked) > MAX_FILTERS:
        raise ReportInputError(f"filter: at most {MAX_FILTERS} filters")
    return ReportRecord(
        source=source,
        columns=checked_columns(source, chosen, month),
        filters=tuple(checked),
        month=month,
        name=checked_name(name, source, month),
        format=format,
        bom=bool(bom),
        scheduled=scheduled,
        crm_column=crm_column,
        crm_ids=dict(crm_ids or {}),
    )
