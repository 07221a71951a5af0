"""Valid values of a settings field, declared in its metadata, checked when settings load.

The team convention (every section's dataclass follows it): ``"min"`` and ``"max"`` are
inclusive bounds, ``"gt"`` an exclusive lower bound (0 for "positive"), ``"choices"`` a tuple
of allowed values, ``"keys"`` a tuple of the allowed keys of a table, ``"header_safe": True``
a string sent in HTTP headers. Floats are always finite. For a list or table field the rule
applies to every item or value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

RANGE_KEYS = ("min", "max", "gt", "choices")


def value_problem(value: Any, meta: Mapping[str, Any]) -> str | None:
    """Why ``value`` breaks the field's declared rule, or None when it is allowed."""
    if isinstance(value, Mapping):
        return _unknown_key(value, meta) or _first(((f"{key}: ", item) for key, item in value.items()), meta)
    if isinstance(value, list):
        return _first(((f"item {index + 1}: ", item) for index, item in enumerate(value)), meta)
    return _scalar_problem(value, meta)


def _unknown_key(table: Mapping[Any, Any], meta: Mapping[str, Any]) -> str | None:
    keys: tuple[str, ...] = meta.get("keys") or ()
    unknown = [key for key in table if keys and key not in keys]
    return f"unknown key {unknown[0]!r}; known: {', '.join(keys)}" if unknown else None


def _first(items: Any, meta: Mapping[str, Any]) -> str | None:
    for label, item in items:
        problem = value_problem(item, meta)
        if problem:
            return label + problem
    return None


def _scalar_problem(value: Any, meta: Mapping[str, Any]) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value}"
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        return f"must be one of {', '.join(map(str, choices))}, got {value!r}"
    if isinstance(value, str):
        return _header_problem(value) if meta.get("header_safe") else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if "gt" in meta and not value > meta["gt"]:
        return f"must be > {meta['gt']}, got {value}"
    if "min" in meta and not value >= meta["min"]:
        return f"must be >= {meta['min']}, got {value}"
    if "max" in meta and not value <= meta["max"]:
        return f"must be <= {meta['max']}, got {value}"
    return None


def _header_problem(value: str) -> str | None:
    """An HTTP header value: printable ASCII or Latin-1, no CR, LF or other control bytes."""
    for position, char in enumerate(value):
        code = ord(char)
        if not (0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF):
            return (
                f"must be printable ASCII or Latin-1 (it is sent in HTTP headers); "
                f"character {position + 1} is {_shown(char)}"
            )
    return None


def _shown(char: str) -> str:
    if 0xDC80 <= ord(char) <= 0xDCFF:  # a byte that was not UTF-8 (os.environ's surrogateescape)
        return f"the non-UTF-8 byte 0x{ord(char) - 0xDC00:02x}"
    return f"U+{ord(char):04X}"


def declares_range(meta: Mapping[str, Any]) -> bool:
    return any(key in meta for key in RANGE_KEYS)


def allowed_text(meta: Mapping[str, Any]) -> str:
    """The rule in words, for docs/SETTINGS.md: '>= 1, <= 10000', 'http, https', 'header-safe'."""
    parts = [" or ".join(f"`{c}`" for c in meta["choices"])] if "choices" in meta else []
    parts += [f"{sign} {_number(meta[key])}" for key, sign in _BOUNDS if key in meta]
    parts += [f"<= `{meta['max_field']}`"] if "max_field" in meta else []
    parts += ["keys " + ", ".join(f"`{k}`" for k in meta["keys"])] if "keys" in meta else []
    parts += ["printable ASCII/Latin-1, no CR/LF"] if meta.get("header_safe") else []
    return ", ".join(parts)


_BOUNDS = (("gt", ">"), ("min", ">="), ("max", "<="))


def _number(value: Any) -> str:
    return f"{value:_}" if isinstance(value, int) and abs(value) >= 10_000 else str(value)
