"""Properties of the intent formula (SPEC §5), checked with hypothesis."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, timedelta

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from common.vocabulary import AREAS, BAND_NAMES
from intent.intent import ColumnsBuilder, SignalInput, area_mask, day_number, score_batch, score_customer
from intent.matrix import Matrix
from intent.settings import IntentSettings
from tests.support.intent_world import FAMILY

AS_OF = date(2026, 11, 30)
NEXT_MONTH_END = date(2026, 12, 31)
DEFAULTS = IntentSettings()
MATRIX = Matrix.from_settings(DEFAULTS)
POSITIVE_TYPES = [t for t in DEFAULTS.signal_strength if t != "cost_cutting"]
COMMON = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def signal(draw: st.DrawFn, negative: bool = False, max_age: int = 400) -> SignalInput:
    kind = "cost_cutting" if negative else draw(st.sampled_from(POSITIVE_TYPES))
    areas = tuple(
        draw(st.lists(st.sampled_from(AREAS), min_size=0 if negative else 1, max_size=3, unique=True))
    )
    return SignalInput(
        signal_id=draw(st.integers(1, 10**9)),
        signal_type=kind,
        family=FAMILY[kind],
        polarity=-1 if negative else 1,
        confidence=draw(st.one_of(st.just(1.0), st.floats(0.05, 1.0))),
        areas=areas,
        source=draw(st.sampled_from(["a.example", "b.example", "c.example", "news.example"])),
        published=AS_OF - timedelta(days=draw(st.one_of(st.integers(0, 20), st.integers(0, max_age)))),
    )


def signal_lists(max_size: int = 12) -> st.SearchStrategy[list[SignalInput]]:
    return st.lists(
        st.one_of(signal(), signal(), signal(), signal(negative=True)), min_size=0, max_size=max_size
    ).map(lambda items: [dataclasses.replace(s, signal_id=i + 1) for i, s in enumerate(items)])


histories = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(AREAS), st.lists(st.floats(0, 20), min_size=1, max_size=3)),
)


def band(score: float) -> int:
    return BAND_NAMES.index(MATRIX.band(score))


@COMMON
@given(signal_lists(), histories, st.integers(0, 11), st.floats(0.0, 1.0))
def test_intent_is_monotone_in_confidence(signals, history, which, extra) -> None:
    positives = [i for i, s in enumerate(signals) if s.polarity > 0]
    assume(positives)
    i = positives[which % len(positives)]
    stronger = list(signals)
    stronger[i] = dataclasses.replace(signals[i], confidence=min(1.0, signals[i].confidence + extra))
    before = score_customer(signals, AS_OF, history)
    after = score_customer(stronger, AS_OF, history)
    for area in AREAS:
        assert after[area].score >= before[area].score


@COMMON
@given(signal_lists(), histories, st.sampled_from(POSITIVE_TYPES), st.floats(1.0, 3.0))
def test_intent_is_monotone_in_type_strength(signals, history, kind, factor) -> None:
    base = DEFAULTS
    strengths = dict(base.signal_strength)
    strengths[kind] = strengths[kind] * factor
    stronger = dataclasses.replace(base, signal_strength=strengths)
    before = score_customer(signals, AS_OF, history, base)
    after = score_customer(signals, AS_OF, history, stronger)
    for area in AREAS:
        assert after[area].score >= before[area].score


@COMMON
@given(signal_lists(), histories, st.integers(0, 11), st.integers(1, 300))
def test_intent_is_monotone_in_recency(signals, history, which, days_newer) -> None:
    # The per-source-per-day cap groups signals by day, so the moved signal gets its own source.
    positives = [i for i, s in enumerate(signals) if s.polarity > 0]
    assume(positives)
    i = positives[which % len(positives)]
    alone = dataclasses.replace(signals[i], source="moved.example")
    newer_date = min(AS_OF, alone.published + timedelta(days=days_newer))
    older = [*signals[:i], alone, *signals[i + 1 :]]
    newer = [*signals[:i], dataclasses.replace(alone, published=newer_date), *signals[i + 1 :]]
    before = score_customer(older, AS_OF, history)
    after = score_customer(newer, AS_OF, history)
    for area in AREAS:
        assert after[area].score >= before[area].score


@COMMON
@given(histories)
def test_no_signals_is_very_low(history) -> None:
    result = score_customer([], AS_OF, history)
    for area in AREAS:
        assert result[area].score == 0
        assert MATRIX.band(result[area].score) == "Very low"
        assert result[area].contributions == ()


@COMMON
@given(signal(), histories, st.floats(1.0, 50.0))
def test_one_lone_signal_never_reaches_high(lone, history, strength) -> None:
    strong = dataclasses.replace(DEFAULTS, signal_strength={t: strength for t in DEFAULTS.signal_strength})
    result = score_customer([dataclasses.replace(lone, confidence=1.0)], AS_OF, history, strong)
    for area in AREAS:
        assert MATRIX.band(result[area].score) != "High"


@THOROUGH
@given(signal_lists(16), histories)
def test_decay_moves_at_most_one_band_a_month_without_new_signals(signals, history) -> None:
    this_month = score_customer(signals, AS_OF, history)
    next_history = {
        area: [*(history or {}).get(area, []), this_month[area].raw][-DEFAULTS.surge_months :]
        for area in AREAS
    }
    next_month = score_customer(signals, NEXT_MONTH_END, next_history)
    for area in AREAS:
        assert abs(band(next_month[area].score) - band(this_month[area].score)) <= 1, area


def test_many_quiet_months_fade_to_very_low() -> None:
    signals = [
        SignalInput(i, kind, FAMILY[kind], 1, 1.0, ("Azure",), f"s{i}.example", AS_OF)
        for i, kind in enumerate(["cloud_migration", "funding", "hiring_tech", "ai_data_initiative"] * 3)
    ]
    scores = [score_customer(signals, AS_OF + timedelta(days=30 * m))["Azure"].score for m in range(0, 30, 3)]
    assert scores[0] >= 75
    assert all(a >= b for a, b in itertools.pairwise(scores))
    assert scores[-1] < 30


def test_negative_signals_lower_intent() -> None:
    base = [
        SignalInput(i, "cloud_migration", "technology", 1, 1.0, ("Azure",), f"s{i}.example", AS_OF)
        for i in range(3)
    ]
    layoffs = SignalInput(99, "cost_cutting", "negative", -1, 1.0, (), "news.example", AS_OF)
    assert score_customer([*base, layoffs], AS_OF)["Azure"].score < score_customer(base, AS_OF)["Azure"].score


def test_source_day_cap_limits_one_noisy_page() -> None:
    same_page = [
        SignalInput(i, kind, FAMILY[kind], 1, 1.0, ("Azure",), "noisy.example", AS_OF)
        for i, kind in enumerate(
            ["cloud_migration", "funding", "hiring_tech", "ai_data_initiative", "partnership"]
        )
    ]
    spread = [dataclasses.replace(s, source=f"s{s.signal_id}.example") for s in same_page]
    capped = score_customer(same_page, AS_OF)["Azure"]
    assert capped.raw <= DEFAULTS.source_day_cap + 1e-9
    assert score_customer(spread, AS_OF)["Azure"].score > capped.score


def test_surge_against_own_baseline_raises_intent() -> None:
    signals = [
        SignalInput(i, "cloud_migration", "technology", 1, 0.8, ("Azure",), f"s{i}.example", AS_OF)
        for i in range(2)
    ]
    quiet_past = score_customer(signals, AS_OF, {"Azure": [0.0, 0.0, 0.0]})["Azure"]
    busy_past = score_customer(signals, AS_OF, {"Azure": [5.0, 5.0, 5.0]})["Azure"]
    assert quiet_past.surge > 0 and busy_past.surge == 0
    assert quiet_past.score > busy_past.score


def test_top_contributions_are_stored_strongest_first() -> None:
    signals = [
        SignalInput(
            1, "partnership", "corporate", 1, 0.5, ("Azure",), "a.example", AS_OF - timedelta(days=200)
        ),
        SignalInput(2, "cloud_migration", "technology", 1, 1.0, ("Azure",), "b.example", AS_OF),
        SignalInput(3, "funding", "money", 1, 0.9, ("Azure",), "c.example", AS_OF - timedelta(days=10)),
    ]
    result = score_customer(signals, AS_OF)["Azure"]
    assert [c.signal_id for c in result.contributions] == [2, 3, 1]
    assert result.contributions[0].weight > result.contributions[1].weight > 0


def test_future_signals_do_not_count() -> None:
    future = SignalInput(1, "funding", "money", 1, 1.0, ("Azure",), "a.example", AS_OF + timedelta(days=1))
    assert score_customer([future], AS_OF)["Azure"].score == 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(signal_lists(6), min_size=1, max_size=5))
def test_batch_scores_each_customer_as_if_alone(per_customer) -> None:
    builder = ColumnsBuilder()
    for index, signals in enumerate(per_customer):
        builder.add_rows(
            [index] * len(signals),
            [s.signal_id for s in signals],
            [s.signal_type for s in signals],
            [s.family for s in signals],
            [s.polarity for s in signals],
            [s.confidence for s in signals],
            [area_mask(s.areas, s.polarity) for s in signals],
            [s.source for s in signals],
            [day_number(s.published) for s in signals],
        )
    n = len(per_customer)
    batch = score_batch(builder.build(), n, day_number(AS_OF), {}, np.zeros(n, dtype=bool), DEFAULTS)
    for index, signals in enumerate(per_customer):
        alone = score_customer(signals, AS_OF)
        for area in AREAS:
            assert batch[area].score[index] == alone[area].score
