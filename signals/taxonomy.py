"""The buying-signal taxonomy (SPEC §4.2): the ids, families, polarity and solution areas of
``common.vocabulary`` joined with the descriptions, keyword cues and why-now templates of
``taxonomy.toml`` and its competitor product → area table.

The file must describe exactly the vocabulary's signal ids: one missing or extra is a
TaxonomyError at load, so the two can never drift apart."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from common.errors import InputError
from common.vocabulary import AREAS, COMPETITOR_TECH, SIGNALS, SignalKind

NONE = "none"
SIGNAL_KEYS = frozenset({"id", "description", "cues", "why_now"})


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
        if signal_id == COMPETITOR_TECH:
            found: list[str] = []
            for product in self.competitors_in(text):
                found.extend(a for a in product.areas if a not in found)
            return found or list(self.competitor_default)
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
    """The taxonomy of a parsed ``taxonomy.toml``, in the vocabulary's signal order."""
    entries = _entries_by_id(raw.get("signal", ()))
    types = tuple(_signal_type(kind, entries[kind.id]) for kind in SIGNALS)
    competitors = tuple(
        CompetitorProduct(
            product=str(c["product"]),
            pattern=_compile(str(c["pattern"]), str(c["product"])),
            areas=_known_areas(c["areas"], f"competitor {c['product']}"),
        )
        for c in raw.get("competitor_products", ())
    )
    default = _known_areas(raw.get("competitor_default", {}).get("areas", ()), "competitor_default")
    return Taxonomy(areas=AREAS, types=types, competitors=competitors, competitor_default=default)


def _entries_by_id(entries: Any) -> dict[str, dict[str, Any]]:
    """The file's [[signal]] tables by id: exactly the vocabulary's ids, each once."""
    by_id: dict[str, dict[str, Any]] = {}
    for entry in entries:
        sid = str(entry.get("id", ""))
        if sid in by_id:
            raise TaxonomyError(f"signal {sid!r}: described twice")
        extra = sorted(set(entry) - SIGNAL_KEYS)
        if extra:
            raise TaxonomyError(
                f"signal {sid!r}: unexpected keys {extra}; families, polarity and areas live in "
                "common/vocabulary.py"
            )
        by_id[sid] = entry
    known = {kind.id for kind in SIGNALS}
    unknown = sorted(set(by_id) - known)
    if unknown:
        raise TaxonomyError(f"signal {unknown[0]!r}: not a signal id of common/vocabulary.py")
    missing = [kind.id for kind in SIGNALS if kind.id not in by_id]
    if missing:
        raise TaxonomyError(f"signal {missing[0]!r}: in common/vocabulary.py but not described")
    return by_id


def _signal_type(kind: SignalKind, entry: dict[str, Any]) -> SignalType:
    return SignalType(
        id=kind.id,
        family=kind.family,
        polarity=kind.polarity,
        description=str(entry["description"]),
        areas=kind.areas,
        cues=tuple(_compile(c, kind.id) for c in entry.get("cues", ())),
        why_now=str(entry.get("why_now", "{company}: {phrase} ({date}).")),
    )


def _known_areas(values: Any, where: str) -> tuple[str, ...]:
    areas = tuple(str(a) for a in values)
    unknown = [a for a in areas if a not in AREAS]
    if unknown:
        raise TaxonomyError(f"{where}: unknown areas {unknown}")
    return areas


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
