"""Per-type rescue thresholds and the event temperature, chosen on (toy) real predictions."""

from __future__ import annotations

import numpy as np
import pytest

from scripts.devtools import rescue_fit
from scripts.devtools.devset import Unit
from signals.taxonomy import NONE, default_taxonomy

LABELS = default_taxonomy().labels


def _unit(group: str, labels: tuple[str, ...]) -> Unit:
    return Unit(group, "row", f"{group}:x", "text", labels, bool(labels), False)


def _joint(event_p: float, type_id: str) -> np.ndarray:
    row = np.zeros(len(LABELS))
    row[LABELS.index(NONE)] = 1.0 - event_p
    row[LABELS.index(type_id)] = event_p
    return row


def test_temperature_keeps_type_shares_and_sums_to_one() -> None:
    joint = np.array([_joint(0.9, "funding"), _joint(0.3, "expansion")])
    joint[0, LABELS.index("expansion")] = 0.05
    joint[0, LABELS.index("funding")] = 0.85
    scaled = rescue_fit.with_event_temperature(joint, 2.0)
    assert np.allclose(scaled.sum(axis=1), 1.0)
    assert 1 - scaled[0, LABELS.index(NONE)] < 0.9  # softer
    shares = scaled[0, LABELS.index("funding")] / scaled[0, LABELS.index("expansion")]
    assert shares == pytest.approx(0.85 / 0.05)
    assert rescue_fit.calibrated_threshold(0.95, 1.0) == pytest.approx(0.95)


def test_a_precise_type_gets_a_lower_threshold_an_imprecise_one_keeps_the_flat() -> None:
    units, rows = [], []
    rng = np.random.default_rng(0)
    for _ in range(60):  # funding rescues at 0.82-0.9 are right
        units.append(_unit("a", ("funding",)))
        rows.append(_joint(float(rng.uniform(0.82, 0.9)), "funding"))
        units.append(_unit("a", ()))
        rows.append(_joint(float(rng.uniform(0.1, 0.5)), "funding"))
    for _ in range(60):  # expansion rescues at the same P(event) are wrong half the time
        units.append(_unit("b", ("expansion",)))
        rows.append(_joint(float(rng.uniform(0.82, 0.9)), "expansion"))
        units.append(_unit("b", ()))
        rows.append(_joint(float(rng.uniform(0.82, 0.9)), "expansion"))
    joint = np.array(rows)
    first = [NONE] * len(units)
    choice = rescue_fit.choose(units, joint, first, np.ones(len(units), dtype=bool), temperature=1.0)
    assert choice.flat == pytest.approx(0.95)
    assert choice.thresholds["funding"] < choice.flat
    assert choice.thresholds["expansion"] == pytest.approx(choice.flat)
    assert choice.thresholds["cloud_migration"] == pytest.approx(choice.flat)  # no rows: flat
    said, _ = rescue_fit.rescued_labels(joint, first, np.zeros(len(units)), choice)
    assert said[0] == "funding" and said[1] == NONE and said[-2] == NONE
    # the temperature is fitted when not given, and stays in its grid
    fitted = rescue_fit.choose(units, joint, first, np.ones(len(units), dtype=bool))
    assert rescue_fit.TEMPERATURE_GRID[0] <= fitted.temperature <= rescue_fit.TEMPERATURE_GRID[-1]
    # svm+kw's own signals are never replaced
    said, _ = rescue_fit.rescued_labels(joint[:1], ["partnership"], np.array([0.7]), choice)
    assert said == ["partnership"]
