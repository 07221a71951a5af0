"""The shipped two-stage head: is an event announced (event vs ``none``), then which type.

Both stages are logistic regressions over the sentence embedding, the taxonomy's keyword cue
indicators and the event-grammar indicators of :mod:`signals.eventcues`. Their weights,
the event threshold and the calibration temperature were fitted by ``scripts/devtools/fit_head.py``
on our own examples and the fit-able real sources of ../shared/data/signals-dev, and are
shipped as numbers only (``signals/head.npz``, read with ``allow_pickle=False``): no text of
the real sources is in the product.

The joint probabilities are P(none) = 1 - P(event) and P(type) = P(event) · P(type | event).
A passage is a signal when P(event) reaches the event threshold; its type is the most
probable type. Used as the default's second opinion (``svm+kw+head``), a passage becomes a
signal when P(event) reaches its most probable type's *rescue* threshold
(``rescue_thresholds``, chosen per type on real text; types without one use the flat
``RESCUE_EVENT_THRESHOLD`` of :mod:`signals.classify`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from signals.eventcues import event_features
from signals.taxonomy import NONE

HEAD_FILE = "head.npz"
FORMAT = 2
# Format 1 files lack the per-type rescue thresholds; they read as "none chosen".
READABLE_FORMATS = (1, 2)


def shipped_head_path() -> Path:
    return Path(str(resources.files("signals") / HEAD_FILE))


def head_features(vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """The head's input: embedding, cue indicators, event-grammar indicators."""
    return np.hstack([vectors, cues, event_features(texts)]).astype(np.float32)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class TwoStageHead:
    """Event-vs-none and type weights; ``labels`` is the classifier's label order."""

    labels: tuple[str, ...]
    type_ids: tuple[str, ...]
    event_w: np.ndarray  # (features,)
    event_b: float
    type_w: np.ndarray  # (types, features)
    type_b: np.ndarray  # (types,)
    event_threshold: float = 0.5
    event_temperature: float = 1.0
    type_temperature: float = 1.0
    model_name: str = ""
    examples_digest: str = ""
    # Per type, the P(event) at which the head's type replaces svm+kw's none (after the
    # event temperature); a type absent here uses the flat rescue threshold.
    rescue_thresholds: dict[str, float] = field(default_factory=dict)

    # ------------------------------------------------------------------ inference (numpy)

    # The products are written with einsum, not @: a threaded BLAS call leaves its threads
    # spinning, and on a 2-core machine they took the CPU from the model embedding the next
    # batch in another thread (the classify step fell from 0.95x to 0.63x raw encode).

    def event_probability(self, features: np.ndarray) -> np.ndarray:
        margin = np.einsum("ij,j->i", features, self.event_w)
        return _sigmoid((margin + self.event_b) / self.event_temperature)

    def type_probabilities(self, features: np.ndarray) -> np.ndarray:
        margins = np.einsum("ij,kj->ik", features, self.type_w)
        return _softmax((margins + self.type_b) / self.type_temperature)

    def predict_proba(self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Joint probabilities over ``labels`` (Scorer protocol)."""
        return self.joint(head_features(vectors, cues, texts))

    def joint(self, features: np.ndarray) -> np.ndarray:
        """Joint probabilities over ``labels`` from ready-made head features."""
        event = self.event_probability(features)
        types = self.type_probabilities(features)
        out = np.zeros((len(features), len(self.labels)), dtype=np.float64)
        for col, type_id in enumerate(self.type_ids):
            out[:, self.labels.index(type_id)] = event * types[:, col]
        out[:, self.labels.index(NONE)] = 1.0 - event
        return out

    def fit(
        self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str], y: np.ndarray, n_labels: int
    ) -> None:
        """Scorer protocol: refit both stages on labelled examples (own-split evaluation)."""
        none = self.labels.index(NONE)
        fitted = fit_head(
            head_features(vectors, cues, texts),
            event=y != none,
            types=np.array([self.labels[i] if i != none else "" for i in y]),
            weights=np.ones(len(y)),
            labels=self.labels,
        )
        self.__dict__.update({k: v for k, v in fitted.__dict__.items() if k != "event_threshold"})

    # ------------------------------------------------------------------ persistence

    def save(self, path: Path) -> None:
        np.savez(
            path,
            format=np.array(FORMAT),
            labels=np.array(self.labels, dtype=str),
            type_ids=np.array(self.type_ids, dtype=str),
            event_w=self.event_w.astype(np.float32),
            event_b=np.array(self.event_b),
            type_w=self.type_w.astype(np.float32),
            type_b=self.type_b.astype(np.float32),
            event_threshold=np.array(self.event_threshold),
            event_temperature=np.array(self.event_temperature),
            type_temperature=np.array(self.type_temperature),
            model_name=np.array(self.model_name),
            examples_digest=np.array(self.examples_digest),
            rescue_types=np.array(list(self.rescue_thresholds), dtype=str),
            rescue_thresholds=np.array(list(self.rescue_thresholds.values()), dtype=np.float64),
        )

    @classmethod
    def load(cls, path: Path) -> TwoStageHead:
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"]) not in READABLE_FORMATS:
                raise ValueError(f"{path}: head format {int(data['format'])}, expected {FORMAT}")
            rescue: dict[str, float] = {}
            if "rescue_types" in data.files:
                rescue = {
                    str(t): float(v)
                    for t, v in zip(data["rescue_types"], data["rescue_thresholds"], strict=True)
                }
            head = cls(
                labels=tuple(str(x) for x in data["labels"]),
                type_ids=tuple(str(x) for x in data["type_ids"]),
                event_w=data["event_w"].astype(np.float32),
                event_b=float(data["event_b"]),
                type_w=data["type_w"].astype(np.float32),
                type_b=data["type_b"].astype(np.float32),
                event_threshold=float(data["event_threshold"]),
                event_temperature=float(data["event_temperature"]),
                type_temperature=float(data["type_temperature"]),
                model_name=str(data["model_name"]),
                examples_digest=str(data["examples_digest"]),
                rescue_thresholds=rescue,
            )
        if NONE not in head.labels or not set(head.type_ids) <= set(head.labels) - {NONE}:
            raise ValueError(f"{path}: labels do not cover the types and none")
        if head.type_w.shape != (len(head.type_ids), len(head.event_w)):
            raise ValueError(f"{path}: weight shapes do not match")
        if not all(np.isfinite(a).all() for a in (head.event_w, head.type_w, head.type_b)):
            raise ValueError(f"{path}: non-finite weights")
        if not set(head.rescue_thresholds) <= set(head.type_ids) or not all(
            0.0 < v <= 1.0 for v in head.rescue_thresholds.values()
        ):
            raise ValueError(f"{path}: rescue thresholds must be types' probabilities in (0, 1]")
        if not 0.05 <= head.event_temperature <= 20.0:
            raise ValueError(f"{path}: event temperature {head.event_temperature} out of range")
        return head


def fit_head(
    features: np.ndarray,
    *,
    event: np.ndarray,
    types: np.ndarray,
    weights: np.ndarray,
    labels: tuple[str, ...],
    type_weights: np.ndarray | None = None,
    c_event: float = 1.0,
    c_type: float = 1.0,
) -> TwoStageHead:
    """Fit both stages: the event stage on every row, the type stage on rows with a type
    (``types[i]`` a taxonomy id, or '' for none and for events of unknown type);
    ``type_weights`` (default ``weights``) weigh the rows in the type stage."""
    from sklearn.linear_model import LogisticRegression

    type_weights = weights if type_weights is None else type_weights
    event_model = LogisticRegression(C=c_event, max_iter=400)
    event_model.fit(features, event.astype(np.int64), sample_weight=weights)
    typed = (types != "") & (type_weights > 0)
    type_ids = tuple(label for label in labels if label != NONE and (types[typed] == label).any())
    type_model = LogisticRegression(C=c_type, max_iter=400)
    type_model.fit(features[typed], types[typed], sample_weight=type_weights[typed])
    coef, intercept = type_model.coef_, type_model.intercept_
    if len(type_model.classes_) == 2:  # one margin for two classes: softmax over (0, margin)
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = np.array([0.0, intercept[0]])
    order = [list(type_model.classes_).index(t) for t in type_ids]
    return TwoStageHead(
        labels=labels,
        type_ids=type_ids,
        event_w=event_model.coef_[0].astype(np.float32),
        event_b=float(event_model.intercept_[0]),
        type_w=coef[order].astype(np.float32),
        type_b=intercept[order].astype(np.float32),
    )
