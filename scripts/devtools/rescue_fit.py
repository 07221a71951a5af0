"""The default classifier's second opinion, fitted on real text: per-type rescue thresholds
and the head's event temperature, chosen on leave-one-source-out predictions.

The default ``svm+kw+head`` asks the two-stage head about the passages ``svm+kw`` calls
``none`` and takes the head's type when P(event) reaches a threshold. One flat threshold
(0.95) was chosen against web-page furniture; real text says the types differ: a breach
notice's P(event) sits lower than a product launch's, and so does the precision the head
reaches at a given P(event). Here each type gets its own threshold, chosen on real
predictions of heads that never saw the source they score, and never below
``RESCUE_FLOOR`` (web pages, which the real sources lack, need the head to be sure).

The event temperature makes P(event) calibrated on real text (it is fitted on the same
predictions, by log-loss); thresholds are chosen on the calibrated values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scripts.devtools import devset
from signals.taxonomy import NONE, default_taxonomy

# The lowest rescue threshold a type may get, and the grid searched above it.
RESCUE_FLOOR = 0.8
RESCUE_GRID = np.round(np.arange(RESCUE_FLOOR, 0.9951, 0.005), 3)
# A type's rescues must be right this often on the other sources' judged rows (the issue's
# precision target); a type that never gets there, or has no real rows, keeps the flat
# threshold the fixture web was checked with (0.95 before calibration).
RESCUE_PRECISION = 0.85
FLAT_RESCUE = 0.95
# Fewer judged rescues than this at a threshold: too few to trust its precision.
MIN_RESCUES = 20
TEMPERATURE_GRID = np.round(np.exp(np.linspace(np.log(0.4), np.log(4.0), 61)), 4)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def with_event_temperature(joint: np.ndarray, temperature: float) -> np.ndarray:
    """Joint probabilities with P(event) re-scaled by ``temperature`` (types keep their
    conditional shares), as the head computes them with ``event_temperature`` set."""
    none = default_taxonomy().labels.index(NONE)
    event = 1.0 - joint[:, none]
    scaled = 1.0 / (1.0 + np.exp(-np.clip(_logit(event) / temperature, -40, 40)))
    out = joint * (scaled / np.maximum(event, 1e-12))[:, None]
    out[:, none] = 1.0 - scaled
    return out


def judged(unit: devset.Unit) -> bool:
    """Rows whose event flag is a judgement (or a weak negative proxy) at the fitted views."""
    if unit.view not in ("row", "lead"):
        return False
    return not unit.weak or unit.file == "fintext" or unit.group in devset.NEGATIVE_PROXY


def fit_event_temperature(event_p: np.ndarray, event: np.ndarray, weights: np.ndarray) -> float:
    """The temperature minimising the weighted log-loss of P(event)."""
    z = _logit(event_p)

    def loss(t: float) -> float:
        p = np.clip(1.0 / (1.0 + np.exp(-z / t)), 1e-7, 1 - 1e-7)
        return float(-(weights * (event * np.log(p) + (~event) * np.log(1 - p))).sum())

    return float(min(TEMPERATURE_GRID, key=loss))


def source_weights(units: Sequence[devset.Unit], rows: np.ndarray) -> np.ndarray:
    """Each source's rows share one unit of weight, so 16,000 security-news sentences count
    as much as 235 fines."""
    groups = np.array([units[i].group for i in rows])
    weights = np.zeros(len(rows))
    for g in set(groups):
        weights[groups == g] = 1.0 / float((groups == g).sum())
    return weights


@dataclass
class RescueChoice:
    temperature: float
    thresholds: dict[str, float]  # per type, on calibrated P(event)

    @property
    def flat(self) -> float:
        return flat_threshold(self.temperature)


def calibrated_threshold(threshold: float, temperature: float) -> float:
    """A threshold on uncalibrated P(event), as the same cut on calibrated P(event)."""
    return float(1.0 / (1.0 + np.exp(-_logit(np.array([threshold]))[0] / temperature)))


def uncalibrated_threshold(threshold: float, temperature: float) -> float:
    """The inverse of :func:`calibrated_threshold`."""
    return float(1.0 / (1.0 + np.exp(-_logit(np.array([threshold]))[0] * temperature)))


def flat_threshold(temperature: float) -> float:
    return calibrated_threshold(FLAT_RESCUE, temperature)


def choose(
    units: Sequence[devset.Unit],
    joint: np.ndarray,
    first: Sequence[str],
    among: np.ndarray,
    temperature: float | None = None,
) -> RescueChoice:
    """Temperature (fitted unless given) and per-type rescue thresholds from the rows
    ``among`` (a boolean mask: the sources this choice may look at). ``first`` is svm+kw's
    label per unit."""
    labels = default_taxonomy().labels
    none = labels.index(NONE)
    rows = np.array([int(i) for i in np.flatnonzero(among) if judged(units[int(i)])], dtype=int)
    event = np.array([units[i].event for i in rows], dtype=bool)
    if temperature is None:
        temperature = fit_event_temperature(1.0 - joint[rows, none], event, source_weights(units, rows))
    calibrated = with_event_temperature(joint[rows], temperature)
    event_p = 1.0 - calibrated[:, none]
    masked = calibrated.copy()
    masked[:, none] = -1.0
    head_type = np.array([labels[k] for k in masked.argmax(axis=1)])
    asked = np.array([first[i] == NONE for i in rows])
    # A rescue is right when the row carries the type, wrong when the row is judged to carry
    # no event or carries other types only; events of unknown type (and weak type labels)
    # cannot say which.
    right = np.array([head_type[k] in units[i].labels for k, i in enumerate(rows)])
    wrong = np.array(
        [
            (not units[i].event) or (bool(units[i].labels) and not units[i].weak and not right[k])
            for k, i in enumerate(rows)
        ]
    )
    flat = flat_threshold(temperature)
    thresholds: dict[str, float] = {}
    for type_id in default_taxonomy().ids:
        candidates = asked & (head_type == type_id) & (right | wrong)
        thresholds[type_id] = flat
        below_flat = RESCUE_GRID[RESCUE_GRID < flat]  # noqa: SIM300 (a numpy mask)
        for threshold in below_flat:  # lowest first: the most recall that stays precise
            kept = candidates & (event_p >= threshold)
            if kept.sum() >= MIN_RESCUES and right[kept].mean() >= RESCUE_PRECISION:
                thresholds[type_id] = float(threshold)
                break
    return RescueChoice(temperature, thresholds)


def rescued_labels(
    joint: np.ndarray, first: Sequence[str], first_confidence: np.ndarray, choice: RescueChoice
) -> tuple[list[str], np.ndarray]:
    """svm+kw's decision, then the head's type where svm+kw said none and the calibrated
    P(event) reaches the type's rescue threshold."""
    labels = default_taxonomy().labels
    none = labels.index(NONE)
    calibrated = with_event_temperature(joint, choice.temperature)
    said = list(first)
    confidence = first_confidence.copy()
    for i in range(len(said)):
        if said[i] != NONE:
            continue
        row = calibrated[i].copy()
        row[none] = -1.0
        best = int(row.argmax())
        if 1.0 - calibrated[i, none] >= choice.thresholds.get(labels[best], choice.flat):
            said[i], confidence[i] = labels[best], float(calibrated[i, best])
    return said, confidence
