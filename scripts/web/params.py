"""Query-string parsing for the UI: every value is validated, capped and whitelisted."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlencode

from common import vocabulary
from common.errors import InputError
from intent.months import MonthError, checked_month

CELL = re.compile(r"^[A-Za-z0-9]{1,8}$")
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_TEXT = 200
MAX_PAGE = 1_000_000
# The choices the customer list's filters offer.
CLUSTERS = vocabulary.CLUSTERS
FLAGS = vocabulary.FLAGS
COHORTS = vocabulary.COHORTS


class BadParameter(InputError):
    """A query parameter is malformed; the message names it (shown to the user as a 400)."""


def text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    if len(value) > MAX_TEXT or any(ord(ch) < 0x20 for ch in value):
        raise BadParameter(f"{name}: too long or contains control characters")
    return value


def choice(params: Mapping[str, str], name: str, allowed: Iterable[str]) -> str | None:
    value = text(params, name)
    if value is None:
        return None
    allowed = tuple(allowed)
    if value not in allowed:
        raise BadParameter(f"{name}: {value[:40]!r} is not one of {', '.join(allowed)}")
    return value


def pattern(params: Mapping[str, str], name: str, regex: re.Pattern[str]) -> str | None:
    value = text(params, name)
    if value is not None and not regex.match(value):
        raise BadParameter(f"{name}: malformed value")
    return value


def month(params: Mapping[str, str], name: str = "month") -> str | None:
    """A month a user may name (see intent.months): 2000-01 up to next month."""
    value = text(params, name)
    if value is None:
        return None
    try:
        return checked_month(value)
    except MonthError as exc:
        raise BadParameter(f"{name}: {exc}") from None


def page(params: Mapping[str, str], name: str = "page") -> int:
    value = params.get(name, "").strip()
    if not value:
        return 1
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise BadParameter(f"{name}: expected a page number between 1 and {MAX_PAGE}")
    return int(value)


def link(path: str, params: Mapping[str, object], **changes: object) -> str:
    """A URL with the given query, changes applied; empty values are left out."""
    merged = {**params, **changes}
    query = {k: str(v) for k, v in merged.items() if v not in (None, "", False)}
    return path + ("?" + urlencode(query) if query else "")


def customer_path(customer_id: str, month: str | None = None) -> str:
    path = "/customers/" + quote(customer_id, safe="")
    return path + ("?" + urlencode({"month": month}) if month else "")
