"""Monthly intent per customer and solution area (SPEC §5), as pure functions.

For each signal ``s`` of a customer that mentions an area, read at the month's last day:

    weight(s)   = strength(type) x confidence x 0.5 ** (age_days / half_life(family))
    positive    = sum of weights of positive signals, each source (URL host) capped at
                  ``source_day_cap`` per day
    negative    = sum of weights of negative signals (cost cutting)
    surge       = clip((positive / max(baseline, floor) - 1) / (full_ratio - 1), 0, 1), where the
                  baseline is the mean positive evidence of the customer's previous months (no
                  history -> no surge)
    evidence    = positive x max(negative_floor, 1 - negative_gain x negative) x (1 + gain x surge)
    score       = round(100 x (1 - exp(-evidence / scale))), capped below High unless at least
                  ``high_breadth`` distinct signal types or sources contributed.

No signals give 0 (Very low). The constants are justified in docs/scoring.md. The same code
scores one customer (:func:`score_customer`, used by tests and explanations) and a whole
month of customers at once (:func:`score_batch`, numpy over columns).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from common.vocabulary import AREAS
from intent.settings import IntentSettings, half_life_of, strength_of

EPOCH = date(1970, 1, 1)
AREA_BIT = {area: 1 << index for index, area in enumerate(AREAS)}
ALL_AREAS_MASK = (1 << len(AREAS)) - 1
_NO_DAY = -(2**31) + 1


def day_number(value: date) -> int:
    """Days since 1970-01-01."""
    return (value - EPOCH).days


@dataclass(frozen=True)
class SignalInput:
    """What intent needs from one stored signal."""

    signal_id: int
    signal_type: str
    family: str
    polarity: int
    confidence: float
    areas: tuple[str, ...]
    source: str
    published: date


@dataclass(frozen=True)
class Contribution:
    signal_id: int
    signal_type: str
    weight: float


@dataclass(frozen=True)
class AreaIntent:
    area: str
    score: float
    raw: float
    surge: float
    breadth: int
    contributions: tuple[Contribution, ...]


class Interner:
    """Stable small integers for repeated strings (types, families, sources)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []

    def __call__(self, name: str) -> int:
        found = self.index.get(name)
        if found is None:
            found = self.index[name] = len(self.names)
            self.names.append(name)
        return found


def area_mask(areas: Iterable[str], polarity: int) -> int:
    mask = 0
    for area in areas:
        mask |= AREA_BIT.get(area, 0)
    # A negative signal that names no area (a closure, layoffs) weighs on every area.
    if mask == 0 and polarity < 0:
        mask = ALL_AREAS_MASK
    return mask


_MASK_CACHE: dict[tuple[str, int], int] = {}


def area_mask_json(areas_json: str, polarity: int) -> int:
    """area_mask of a stored JSON list, cached because a few lists repeat millions of times."""
    key = (areas_json, polarity)
    found = _MASK_CACHE.get(key)
    if found is None:
        try:
            parsed = json.loads(areas_json)
        except ValueError:
            parsed = []
        names = [a for a in parsed if isinstance(a, str)] if isinstance(parsed, list) else []
        found = area_mask(names, polarity)
        if len(_MASK_CACHE) < 10_000:
            _MASK_CACHE[key] = found
    return found


@dataclass
class SignalColumns:
    """Signals of many customers as parallel numpy columns (about 30 bytes a signal)."""

    customer: np.ndarray  # int32 index into the customer list
    signal_id: np.ndarray  # int64
    type_index: np.ndarray  # int16 into types.names
    family_index: np.ndarray  # int16 into families.names
    polarity: np.ndarray  # int8, +1 or -1
    confidence: np.ndarray  # float32
    mask: np.ndarray  # int16 area bit mask
    source: np.ndarray  # int32 into sources.names
    day: np.ndarray  # int32 days since epoch (publish date)
    types: Interner = field(default_factory=Interner)
    families: Interner = field(default_factory=Interner)

    def __len__(self) -> int:
        return len(self.signal_id)


class ColumnsBuilder:
    """Accumulates signal rows batch by batch (streaming) into :class:`SignalColumns`."""

    def __init__(self) -> None:
        self.types = Interner()
        self.families = Interner()
        self.sources = Interner()
        self._parts: list[tuple[np.ndarray, ...]] = []

    def add_rows(
        self,
        customer_index: Sequence[int],
        signal_ids: Sequence[int],
        signal_types: Sequence[str],
        families: Sequence[str],
        polarities: Sequence[int],
        confidences: Sequence[float],
        masks: Sequence[int],
        sources: Sequence[str],
        days: Sequence[int],
    ) -> None:
        types, fams, srcs = self.types, self.families, self.sources
        self._parts.append(
            (
                np.asarray(customer_index, dtype=np.int32),
                np.asarray(signal_ids, dtype=np.int64),
                np.asarray([types(t) for t in signal_types], dtype=np.int16),
                np.asarray([fams(f) for f in families], dtype=np.int16),
                np.asarray([1 if p >= 0 else -1 for p in polarities], dtype=np.int8),
                np.clip(np.asarray(confidences, dtype=np.float32), 0.0, 1.0),
                np.asarray(masks, dtype=np.int16),
                np.asarray([srcs(s) for s in sources], dtype=np.int32),
                np.asarray(days, dtype=np.int32),
            )
        )

    def add_batch(
        self,
        customer_index: Sequence[int],
        signal_ids: Sequence[int],
        signal_types: Sequence[str],
        families: Sequence[str],
        polarities: Sequence[int],
        confidences: Sequence[float],
        areas_json: Sequence[str],
        urls: Sequence[str],
        iso_days: Sequence[str],
    ) -> None:
        """Add stored rows column by column (the fast path of the monthly run): publish dates
        as ISO text; rows whose customer index is negative or date unreadable are dropped."""
        customer = np.asarray(customer_index, dtype=np.int32)
        keep = customer >= 0
        polarity = np.where(np.asarray(polarities, dtype=np.int64) >= 0, 1, -1).astype(np.int8)
        known = self.__dict__.setdefault("_mask_of", {})
        masks = np.asarray([known[a] if a in known else self._mask(a) for a in areas_json], dtype=np.int16)
        masks = np.where((masks == 0) & (polarity < 0), ALL_AREAS_MASK, masks).astype(np.int16)
        columns = (
            customer,
            np.asarray(signal_ids, dtype=np.int64),
            np.asarray(self._intern(self.types, signal_types), dtype=np.int16),
            np.asarray(self._intern(self.families, families), dtype=np.int16),
            polarity,
            np.clip(np.asarray(confidences, dtype=np.float32), 0.0, 1.0),
            masks,
            np.asarray(
                self._sources([u.split("/", 3)[2] if "://" in u else u for u in urls]), dtype=np.int32
            ),
            np.asarray(self._days(iso_days), dtype=np.int32),
        )
        keep &= columns[-1] > _NO_DAY
        self._parts.append(tuple(c[keep] for c in columns) if not keep.all() else columns)

    _mask_of: dict[str, int]
    _host_of: dict[str, int]

    def _mask(self, areas_json: str) -> int:
        cache = self.__dict__.setdefault("_mask_of", {})
        found = cache.get(areas_json)
        if found is None:
            found = area_mask_json(areas_json, 1)
            if len(cache) < 10_000:
                cache[areas_json] = found
        return found

    @staticmethod
    def _intern(interner: Interner, values: Sequence[str]) -> list[int]:
        index = interner.index
        return [index[v] if v in index else interner(v) for v in values]

    def _sources(self, hosts: Sequence[str]) -> list[int]:
        # Hosts are normalised (lower case, no "www.") once per distinct host.
        cache: dict[str, int] = self.__dict__.setdefault("_host_of", {})
        return [cache[host] if host in cache else self._new_source(cache, host) for host in hosts]

    def _days(self, iso_days: Sequence[str]) -> list[int]:
        cache: dict[str, int] = self.__dict__.setdefault("_day_of", {})
        return [cache[d] if d in cache else self._new_day(cache, d) for d in iso_days]

    @staticmethod
    def _new_day(cache: dict[str, int], text: str) -> int:
        try:
            found = day_number(date.fromisoformat(str(text)[:10]))
        except ValueError:
            found = _NO_DAY
        cache[text] = found
        return found

    def _new_source(self, cache: dict[str, int], host: str) -> int:
        name = (host or "").rsplit("@", 1)[-1].lower()
        found = cache[host] = self.sources(name[4:] if name.startswith("www.") else name)
        return found

    def build(self) -> SignalColumns:
        dtypes = (np.int32, np.int64, np.int16, np.int16, np.int8, np.float32, np.int16, np.int32, np.int32)
        if self._parts:
            columns = [np.concatenate([part[i] for part in self._parts]) for i in range(9)]
        else:
            columns = [np.zeros(0, dtype=d) for d in dtypes]
        self._parts = []
        customer, signal_id, type_index, family_index, polarity, confidence, mask, source, day = columns
        return SignalColumns(
            customer,
            signal_id,
            type_index,
            family_index,
            polarity,
            confidence,
            mask,
            source,
            day,
            types=self.types,
            families=self.families,
        )


@dataclass
class AreaScores:
    """One area's results for every customer of a batch."""

    score: np.ndarray  # float64, whole numbers 0..100
    raw: np.ndarray  # positive evidence (the surge baseline of later months)
    surge: np.ndarray  # 0..1
    breadth: np.ndarray  # int
    top_customer: np.ndarray  # rows of the top contributions, grouped by customer
    top_signal: np.ndarray
    top_type: np.ndarray
    top_weight: np.ndarray


def signal_weights(columns: SignalColumns, as_of_day: int, settings: IntentSettings) -> np.ndarray:
    """strength x confidence x recency decay, signed by polarity (0 for future signals)."""
    strength, half_life = strength_of(settings), half_life_of(settings)
    strengths = np.array([strength.get(t, settings.default_strength) for t in columns.types.names] or [0.0])
    half_lives = np.array(
        [half_life.get(f, settings.default_half_life_days) for f in columns.families.names] or [1.0]
    )
    age = (as_of_day - columns.day).astype(np.float64)
    decay = np.where(age >= 0, np.exp2(-np.maximum(age, 0.0) / half_lives[columns.family_index]), 0.0)
    weight = strengths[columns.type_index] * columns.confidence.astype(np.float64) * decay
    return weight * columns.polarity


def _group_sum_cap(keys: np.ndarray, weights: np.ndarray, cap: float) -> np.ndarray:
    """Scale weights so each key's sum is at most cap."""
    if len(keys) == 0:
        return weights
    _, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse, weights=weights)
    scale = np.minimum(1.0, cap / np.maximum(sums, 1e-12))
    return weights * scale[inverse]


def _distinct_per_customer(customer: np.ndarray, values: np.ndarray, n: int, width: int) -> np.ndarray:
    if len(customer) == 0:
        return np.zeros(n, dtype=np.int64)
    pairs = np.unique(customer.astype(np.int64) * width + values.astype(np.int64))
    return np.bincount((pairs // width).astype(np.int64), minlength=n)


def score_batch(
    columns: SignalColumns,
    n_customers: int,
    as_of_day: int,
    baselines: dict[str, np.ndarray],
    has_history: np.ndarray,
    settings: IntentSettings,
) -> dict[str, AreaScores]:
    """Intent of every customer (0..n_customers-1) in every area, as of one day.

    ``baselines[area]`` is each customer's mean positive evidence over previous months and
    ``has_history`` says which customers have previous months at all.
    """
    keep = (columns.day <= as_of_day) & (columns.day > as_of_day - settings.max_signal_age_days)
    weight_all = signal_weights(columns, as_of_day, settings)
    n_sources = int(columns.source.max()) + 1 if len(columns) else 1
    n_types = max(len(columns.types.names), 1)
    high_edge = float(settings.band_edges[2])
    results: dict[str, AreaScores] = {}
    for area in AREAS:
        in_area = keep & ((columns.mask & AREA_BIT[area]) != 0)
        rows = np.flatnonzero(in_area)
        customer = columns.customer[rows]
        weight = weight_all[rows]
        positive = weight > 0
        negative = weight < 0
        # Cap what one source can add per day: key = (customer, source, day).
        pos_rows = np.flatnonzero(positive)
        keys = (
            customer[pos_rows].astype(np.int64) * n_sources + columns.source[rows][pos_rows]
        ) * 100_000 + (columns.day[rows][pos_rows].astype(np.int64) % 100_000)
        capped = weight.copy()
        capped[pos_rows] = _group_sum_cap(keys, weight[pos_rows], settings.source_day_cap)
        pos = np.bincount(customer[positive], weights=capped[positive], minlength=n_customers)
        neg = np.bincount(customer[negative], weights=-weight[negative], minlength=n_customers)
        baseline = baselines.get(area, np.zeros(n_customers))
        ratio = pos / np.maximum(baseline, settings.surge_floor)
        surge = np.clip((ratio - 1.0) / max(settings.surge_full_ratio - 1.0, 1e-9), 0.0, 1.0)
        surge = np.where(has_history, surge, 0.0)
        damp = np.maximum(settings.negative_floor, 1.0 - settings.negative_gain * neg)
        evidence = pos * damp * (1.0 + settings.surge_gain * surge)
        score = np.round(100.0 * (1.0 - np.exp(-evidence / settings.intent_scale)))
        cust_pos = customer[positive]
        breadth = np.maximum(
            _distinct_per_customer(cust_pos, columns.type_index[rows][positive], n_customers, n_types),
            _distinct_per_customer(cust_pos, columns.source[rows][positive], n_customers, n_sources),
        )
        score = np.where(breadth >= settings.high_breadth, score, np.minimum(score, high_edge - 1.0))
        score = np.clip(score, 0.0, 100.0)
        top = _top_per_customer(customer, capped, settings.top_contributions)
        results[area] = AreaScores(
            score=score,
            raw=pos,
            surge=surge,
            breadth=breadth,
            top_customer=customer[top],
            top_signal=columns.signal_id[rows][top],
            top_type=columns.type_index[rows][top],
            top_weight=capped[top],
        )
    return results


def _top_per_customer(customer: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    """Positions of each customer's k largest |weight|, grouped by customer, strongest first."""
    if len(customer) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((-np.abs(weight), customer))
    sorted_customer = customer[order]
    starts = np.flatnonzero(np.r_[True, sorted_customer[1:] != sorted_customer[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.arange(len(order)) - group_start
    chosen = order[rank < k]
    return chosen[np.abs(weight[chosen]) > 0]


def score_customer(
    signals: Sequence[SignalInput],
    as_of: date,
    history: Mapping[str, Sequence[float]] | None = None,
    settings: IntentSettings | None = None,
) -> dict[str, AreaIntent]:
    """Intent of one customer in every area; ``history`` = previous months' raw per area."""
    settings = settings or IntentSettings()
    builder = ColumnsBuilder()
    builder.add_rows(
        [0] * len(signals),
        [s.signal_id for s in signals],
        [s.signal_type for s in signals],
        [s.family for s in signals],
        [s.polarity for s in signals],
        [s.confidence for s in signals],
        [area_mask(s.areas, s.polarity) for s in signals],
        [s.source for s in signals],
        [day_number(s.published) for s in signals],
    )
    columns = builder.build()
    history = history or {}
    has_history = np.array([any(len(v) > 0 for v in history.values())])
    baselines = {
        area: np.array([float(np.mean(values)) if len(values) else 0.0]) for area, values in history.items()
    }
    scores = score_batch(columns, 1, day_number(as_of), baselines, has_history, settings)
    result: dict[str, AreaIntent] = {}
    for area, s in scores.items():
        contributions = tuple(
            Contribution(int(sid), columns.types.names[int(t)], round(float(w), 4))
            for sid, t, w in zip(s.top_signal, s.top_type, s.top_weight, strict=True)
        )
        result[area] = AreaIntent(
            area, float(s.score[0]), float(s.raw[0]), float(s.surge[0]), int(s.breadth[0]), contributions
        )
    return result
