"""Publish date of a page: metadata first, then markup, then the URL, then visible text.

Every value is normalised to ISO 8601: ``YYYY-MM-DD`` when only the day is known, the full
``YYYY-MM-DDTHH:MM:SS[+HH:MM]`` when the page gives a time. Implausible dates (before 1995 or
more than a year ahead) are ignored: they are copyright lines, birthdays or typos.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser

MIN_YEAR = 1995
_JSONLD_MAX_CHARS = 200_000
_JSONLD_MAX_SCRIPTS = 10
_JSONLD_MAX_DEPTH = 12
_TEXT_SCAN_CHARS = 1500
_DATE_CLASS_MAX = 10
_DATE_CLASS_SELECTOR = (
    '[class*="date"], [class*="datum"], [class*="publish"], [class*="posted"], '
    '[class*="Date"], [class*="Datum"], [class*="time"]'
)

# Meta names/properties that carry the publication date, best first.
_META_KEYS = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "published_time",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "publication_date",
    "parsely-pub-date",
    "sailthru.date",
    "citation_publication_date",
    "citation_date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "dc.date.created",
    "dcterms.created",
    "date",
    "created",
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "last-modified",
)
_META_RANK = {key: rank for rank, key in enumerate(_META_KEYS)}

_ISO = re.compile(
    r"(?P<y>(?:19|20)\d\d)-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)"
    r"(?:[T ](?P<H>[0-2]\d):(?P<M>[0-5]\d)(?::(?P<S>[0-5]\d)(?:\.\d+)?)?"
    r"\s*(?P<tz>Z|[+-][0-2]\d:?[0-5]\d)?)?"
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_DMY_NUMERIC = re.compile(r"\b(?P<d>[0-3]?\d)([./-])(?P<m>[01]?\d)\2(?P<y>(?:19|20)\d\d)\b")
_YMD_SLASH = re.compile(r"\b(?P<y>(?:19|20)\d\d)/(?P<m>[01]?\d)/(?P<d>[0-3]?\d)\b")
_URL_DATE = re.compile(
    r"/(?P<y>(?:19|20)\d\d)[/-](?P<m>[01]?\d)[/-](?P<d>[0-3]?\d)(?:/|-|_|\.|$)"
    r"|/(?P<y2>(?:19|20)\d\d)(?P<m2>[01]\d)(?P<d2>[0-3]\d)/"
)

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januar janvier enero gennaio januari janeiro jänner",
        "february feb februar février fevrier febrero febbraio februari fevereiro",
        "march mar märz maerz mars marzo maart março",
        "april apr avril abril aprile",
        "may mai mayo maggio mei maio",
        "june jun juni juin junio giugno junho",
        "july jul juli juillet julio luglio julho",
        "august aug août aout agosto augustus",
        "september sep sept septembre septiembre settembre setembro",
        "october oct oktober octobre octubre ottobre okt outubro",
        "november nov novembre noviembre novembro",
        "december dec dezember décembre decembre diciembre dicembre dez dezembro",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\.?\s+(?:de\s+)?(?P<mon>{_MONTH_ALT})\.?,?\s+"
    rf"(?:de\s+)?(?P<y>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b(?P<mon>{_MONTH_ALT})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_JA_DATE = re.compile(r"(?P<y>(?:19|20)\d\d)年\s*(?P<m>[01]?\d)月\s*(?P<d>[0-3]?\d)日")


def _plausible(year: int, month: int, day: int) -> date | None:
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    today = datetime.now(UTC).date()
    if year < MIN_YEAR or value > today.replace(year=today.year + 1, day=min(today.day, 28)):
        return None
    return value


def normalize_date(raw: str | None) -> str | None:
    """ISO form of a date/datetime written in any common style; None when there is none."""
    if not raw:
        return None
    raw = raw.strip()[:200]
    match = _ISO.search(raw)
    if match:
        day = _plausible(int(match["y"]), int(match["m"]), int(match["d"]))
        if day is None:
            return None
        if match["H"] is None:
            return day.isoformat()
        stamp = f"{day.isoformat()}T{match['H']}:{match['M']}:{match['S'] or '00'}"
        tz = match["tz"]
        if tz:
            if tz == "Z":
                tz = "+00:00"
            elif ":" not in tz:
                tz = f"{tz[:3]}:{tz[3:]}"
            stamp += tz
        return stamp
    return date_from_text(raw)


def date_from_text(text: str) -> str | None:
    """The first plausible calendar date written out in running text."""
    text = text[:_TEXT_SCAN_CHARS]
    # Every date we read carries a four-digit year: look only around years (bounded work).
    for count, year in enumerate(_YEAR.finditer(text)):
        if count >= 20:
            break
        start = max(0, year.start() - 40)
        window = text[start : year.end() + 12]
        found = _date_in_window(window)
        if found:
            return found
    return None


def _date_in_window(window: str) -> str | None:
    best: tuple[int, date] | None = None
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for match in pattern.finditer(window):
            month = _MONTHS.get(match["mon"].lower())
            value = month and _plausible(int(match["y"]), month, int(match["d"]))
            if value and (best is None or match.start() < best[0]):
                best = (match.start(), value)
                break
    for pattern in (_ISO, _JA_DATE, _DMY_NUMERIC, _YMD_SLASH):
        for match in pattern.finditer(window):
            value = _plausible(int(match["y"]), int(match["m"]), int(match["d"]))
            if value and (best is None or match.start() < best[0]):
                best = (match.start(), value)
                break
    return best[1].isoformat() if best else None


def date_from_url(url: str | None) -> str | None:
    if not url:
        return None
    match = _URL_DATE.search(url)
    if not match:
        return None
    year, month, day = (
        (match["y"], match["m"], match["d"]) if match["y"] else (match["y2"], match["m2"], match["d2"])
    )
    value = _plausible(int(year), int(month), int(day))
    return value.isoformat() if value else None


def _walk_json(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > _JSONLD_MAX_DEPTH:
        return
    if isinstance(value, dict):
        yield value
        for child in value.values():
            if isinstance(child, dict | list):
                yield from _walk_json(child, depth + 1)
    elif isinstance(value, list):
        for child in value[:200]:
            yield from _walk_json(child, depth + 1)


def date_from_jsonld(scripts: Iterable[str]) -> str | None:
    """``datePublished`` or a job ad's ``datePosted`` (else ``dateCreated``/``uploadDate``) from
    JSON-LD script bodies."""
    fallback: str | None = None
    for count, body in enumerate(scripts):
        if count >= _JSONLD_MAX_SCRIPTS:
            break
        if len(body) > _JSONLD_MAX_CHARS:
            continue
        try:
            data = json.loads(body, strict=False)
        except (ValueError, RecursionError):
            continue
        try:
            for obj in _walk_json(data):
                for key in ("datePublished", "datePosted"):
                    value = obj.get(key)
                    if isinstance(value, str) and (found := normalize_date(value)):
                        return found
                for key in ("dateCreated", "uploadDate"):
                    value = obj.get(key)
                    if fallback is None and isinstance(value, str):
                        fallback = normalize_date(value)
        except RecursionError:
            continue
    return fallback


def _from_meta(tree: LexborHTMLParser) -> str | None:
    best: tuple[int, str] | None = None
    for meta in tree.css("meta"):
        attrs = meta.attributes
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        rank = _META_RANK.get(key.strip())
        if rank is None or (best is not None and rank >= best[0]):
            continue
        value = normalize_date(attrs.get("content"))
        if value:
            best = (rank, value)
    return best[1] if best else None


def _from_markup(tree: LexborHTMLParser) -> str | None:
    for node in tree.css('[itemprop="datePublished"], [itemprop="datePosted"], [itemprop="dateCreated"]')[:5]:
        attrs = node.attributes
        value = normalize_date(
            attrs.get("datetime") or attrs.get("content") or (node.text(deep=True) or "")[:200]
        )
        if value:
            return value
    times = tree.css("time")[:20]
    # A <time pubdate> or one inside something called "published"/"date" beats the first one.
    for node in times:
        attrs = node.attributes
        hint = " ".join(str(v) for v in (attrs.get("class"), attrs.get("itemprop")) if v).lower()
        if "pubdate" in attrs or "publish" in hint:
            value = normalize_date(attrs.get("datetime") or node.text(deep=True))
            if value:
                return value
    for node in times:
        attrs = node.attributes
        value = normalize_date(attrs.get("datetime")) or normalize_date(node.text(deep=True))
        if value:
            return value
    return None


def _from_date_classes(tree: LexborHTMLParser) -> str | None:
    """Text of elements a theme names after dates ("post-date", "datum", "published")."""
    for node in tree.css(_DATE_CLASS_SELECTOR)[:_DATE_CLASS_MAX]:
        text = node.text(deep=True) or ""
        if len(text) <= 120:
            value = normalize_date(text)
            if value:
                return value
    return None


def find_published(
    tree: LexborHTMLParser,
    *,
    url: str | None = None,
    jsonld: Iterable[str] = (),
    text: str = "",
) -> str | None:
    """The page's publish date from the strongest evidence available, or None."""
    return (
        _from_meta(tree)
        or date_from_jsonld(jsonld)
        or _from_markup(tree)
        or date_from_url(url)
        or _from_date_classes(tree)
        or (date_from_text(text) if text else None)
    )
