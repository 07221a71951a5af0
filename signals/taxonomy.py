"""The buying-signal taxonomy (SPEC §4.2), loaded from ``taxonomy.toml``: ids, families,
polarity, descriptions, solution areas, keyword cues and the competitor product → area table."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from common.errors import InputError

NONE = "none"
ALL_AREAS = "*"


class TaxonomyError(InputError):
    """The taxonomy file is malformed; the message names the entry."""


@dataclass(frozen=True)
class SignalType:
    id: str
    family: str
    polarity: int
    description: str
    areas: tuple[str, ...]
    cues: tuple[re.Pattern[str], ...]
    why_now: str


@dataclass(frozen=True)
class CompetitorProduct:
    product: str
    pattern: re.Pattern[str]
    areas: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    areas: tuple[str, ...]
    types: tuple[SignalType, ...]
    competitors: tuple[CompetitorProduct, ...]
    competitor_default: tuple[str, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """Signal type ids in taxonomy order (without ``none``)."""
        return tuple(t.id for t in self.types)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every classifier label: the signal ids and ``none``."""
        return (*self.ids, NONE)

    def get(self, signal_id: str) -> SignalType:
        for signal_type in self.types:
            if signal_type.id == signal_id:
                return signal_type
        raise KeyError(signal_id)

    def competitors_in(self, text: str) -> list[CompetitorProduct]:
        lowered = text.lower()
        return [c for c in self.competitors if c.pattern.search(lowered)]

    def areas_for(self, signal_id: str, text: str = "") -> list[str]:
        """Solution areas a signal of this type raises; ``competitor_tech`` depends on the
        products named in the passage."""
        if signal_id == NONE:
            return []
        signal_type = self.get(signal_id)
        if signal_id == "competitor_tech":
            found: list[str] = []
            for product in self.competitors_in(text):
                found.extend(a for a in product.areas if a not in found)
            return found or list(self.competitor_default)
        if ALL_AREAS in signal_type.areas:
            return list(self.areas)
        return list(signal_type.areas)

    def cue_spans(self, signal_id: str, text: str) -> list[tuple[int, int]]:
        """Character spans of ``text`` matched by the type's keyword cues."""
        if signal_id == NONE:
            return []
        lowered = text.lower()
        spans: list[tuple[int, int]] = []
        for pattern in self.get(signal_id).cues:
            spans.extend(m.span() for m in pattern.finditer(lowered) if m.end() > m.start())
        return spans

    def cue_vector(self, text: str) -> list[float]:
        """One 0/1 feature per signal type: does any of its cues match the text?"""
        lowered = text.lower()
        return [1.0 if any(p.search(lowered) for p in t.cues) else 0.0 for t in self.types]


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise TaxonomyError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


def parse_taxonomy(raw: dict[str, Any]) -> Taxonomy:
    areas = tuple(str(a) for a in raw.get("areas", ()))
    types: list[SignalType] = []
    for entry in raw.get("signal", ()):
        sid = str(entry.get("id", ""))
        if not re.fullmatch(r"[a-z][a-z_]*", sid) or sid == NONE:
            raise TaxonomyError(f"signal {sid!r}: id must be lower_snake_case and not 'none'")
        polarity = int(entry.get("polarity", 1))
        if polarity not in (1, -1):
            raise TaxonomyError(f"signal {sid}: polarity must be +1 or -1")
        type_areas = tuple(str(a) for a in entry.get("areas", ()))
        unknown = [a for a in type_areas if a != ALL_AREAS and a not in areas]
        if unknown:
            raise TaxonomyError(f"signal {sid}: unknown areas {unknown}")
        types.append(
            SignalType(
                id=sid,
                family=str(entry["family"]),
                polarity=polarity,
                description=str(entry["description"]),
                areas=type_areas,
                cues=tuple(_compile(c, sid) for c in entry.get("cues", ())),
                why_now=str(entry.get("why_now", "{company}: {phrase} ({date}).")),
            )
        )
    if len({t.id for t in types}) != len(types):
        raise TaxonomyError("duplicate signal ids")
    competitors = tuple(
        CompetitorProduct(
            product=str(c["product"]),
            pattern=_compile(str(c["pattern"]), str(c["product"])),
            areas=tuple(str(a) for a in c["areas"]),
        )
        for c in raw.get("competitor_products", ())
    )
    default = tuple(str(a) for a in raw.get("competitor_default", {}).get("areas", ()))
    return Taxonomy(areas=areas, types=tuple(types), competitors=competitors, competitor_default=default)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    if path is None:
        text = (resources.files("signals") / "taxonomy.toml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return parse_taxonomy(tomllib.loads(text))


@functools.cache
def default_taxonomy() -> Taxonomy:
    """The bundled taxonomy, parsed once per process."""
    return load_taxonomy()
