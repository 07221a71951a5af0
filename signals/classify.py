"""The signal classifier: embeddings (+ keyword cue features) → calibrated label probabilities
→ a signal type when the confidence clears that type's threshold, else ``none``.

Three scorers are available (measured by ``scripts/devtools/eval_classifier.py``): nearest prototypes,
k nearest examples, and logistic regression. Every one is calibrated the same way: a single
temperature fitted on out-of-fold probabilities of the training examples, and per-type
thresholds chosen on the same out-of-fold predictions so that each type's precision reaches a
target. The evaluation split is never used for fitting, calibration or thresholds.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import os
import pickle
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from signals.embed import Embedder, text_hash
from signals.settings import DEFAULT_CLASSIFIER
from signals.taxonomy import NONE, Taxonomy, default_taxonomy

MAX_EXAMPLE_CHARS = 2000
# Passage vectors per product in :meth:`SignalClassifier.nearest_many` (bounds its memory:
# a chunk's similarities to ~3,300 examples take 3.4 MB).
NEAREST_CHUNK = 256
# How far apart two similarities must be for a single product to order and print them as a
# batch product does: ~4x the largest difference between the two over 2 million
# 384-dimension products of unit vectors (1.3e-7 each way).
NEAREST_SETTLED = 1e-6
# Bumped when a pickled SignalClassifier gains or loses a field.
CACHE_VERSION = "3"


# ----------------------------------------------------------------------------- examples


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    style: str = ""
    split: str = "train"  # train | eval


def bundled_examples_dir() -> Path:
    return Path(str(resources.files("signals") / "examples"))


def load_examples(folder: str | Path | None = None, taxonomy: Taxonomy | None = None) -> list[Example]:
    """Every valid example under ``folder`` (default: the bundled set), in a stable order.

    Lines that are not JSON objects, have an unknown label or no text are skipped: the data is
    ours, but one bad line must not take the classifier down.
    """
    taxonomy = taxonomy or default_taxonomy()
    labels = set(taxonomy.labels)
    root = Path(folder) if folder else bundled_examples_dir()
    examples: list[Example] = []
    seen: set[tuple[str, str]] = set()
    for path in sorted(root.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if not isinstance(row, dict):
                continue
            text = " ".join(str(row.get("text", "")).split())[:MAX_EXAMPLE_CHARS]
            label = str(row.get("label", path.stem))
            split = "eval" if row.get("split") == "eval" else "train"
            if not text or label not in labels or (text, label) in seen:
                continue
            seen.add((text, label))
            examples.append(Example(text, label, str(row.get("style", "")), split))
    return examples


def examples_digest(examples: Sequence[Example]) -> str:
    """A hash of the examples' texts, labels and splits (keys caches of fitted state)."""
    digest = hashlib.blake2b(digest_size=12)
    for example in examples:
        digest.update(f"{example.label}\t{example.split}\t{example.text}\n".encode())
    return digest.hexdigest()


def cache_dir() -> Path:
    """Per-user cache folder for example embeddings and fitted classifiers."""
    base = os.environ.get("ASCENT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ascent"
    )
    return Path(base)


def _safe(name: str) -> str:
    return hashlib.blake2b(name.encode(), digest_size=8).hexdigest()


def embed_examples(
    examples: Sequence[Example], embedder: Embedder, *, use_disk_cache: bool = True
) -> np.ndarray:
    """Embeddings of the examples' texts. Vectors are kept on disk per (model, text hash), so
    after an edit of the examples only new or changed texts reach the model."""
    texts = [e.text for e in examples]
    if not use_disk_cache:
        return embedder.encode(texts)
    return embed_cached(texts, embedder, cache_dir() / f"example-vectors-{_safe(embedder.name)}.npz")


# Texts embedded between two saves of a vector cache (a long first run keeps its progress).
CACHE_SAVE_EVERY = 4096


def embed_cached(texts: Sequence[str], embedder: Embedder, path: Path) -> np.ndarray:
    """Vectors of ``texts``, read from and added to the cache file ``path`` (keyed by text
    hash; one file per model), so only texts never seen before reach the model."""
    known: dict[str, np.ndarray] = {}
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
                if vectors.ndim == 2 and vectors.shape[1] == embedder.dim:
                    known = dict(zip((str(k) for k in keys), vectors, strict=True))
        except (OSError, ValueError, KeyError):
            known = {}
    hashes = [text_hash(t) for t in texts]
    by_hash = dict(zip(hashes, texts, strict=True))
    missing = [h for h in by_hash if h not in known]
    for start in range(0, len(missing), CACHE_SAVE_EVERY):
        chunk = missing[start : start + CACHE_SAVE_EVERY]
        known.update(zip(chunk, embedder.encode([by_hash[h] for h in chunk]), strict=True))
        _save_vectors(path, known)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([known[h] for h in hashes]).astype(np.float32)


def _save_vectors(path: Path, known: dict[str, np.ndarray]) -> None:
    keys = np.array(list(known), dtype=str)
    vectors = np.stack(list(known.values())).astype(np.float32)
    _write_atomic(path, lambda f: np.savez(f, keys=keys, vectors=vectors))


def _write_atomic(path: Path, write: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            write(handle)  # type: ignore[operator]
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written only costs time


# ----------------------------------------------------------------------------- scorers


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class Scorer(Protocol):
    """Label probabilities from embeddings, keyword cue features and the texts themselves."""

    def fit(
        self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str], y: np.ndarray, n_labels: int
    ) -> None: ...

    def predict_proba(self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str]) -> np.ndarray: ...


def _features(vectors: np.ndarray, cues: np.ndarray, cue_weight: float) -> np.ndarray:
    if cue_weight <= 0:
        return vectors
    return np.hstack([vectors, cue_weight * cues]).astype(np.float32)


def _unit_rows(features: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return features / norms


class PrototypeScorer:
    """Cosine similarity to each label's mean example (its prototype)."""

    def __init__(self, cue_weight: float = 0.0, scale: float = 20.0):
        self.cue_weight = cue_weight
        self.scale = scale
        self.prototypes = np.zeros((0, 0), dtype=np.float32)

    def fit(
        self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str], y: np.ndarray, n_labels: int
    ) -> None:
        features = _features(vectors, cues, self.cue_weight)
        protos = np.zeros((n_labels, features.shape[1]), dtype=np.float32)
        for label in range(n_labels):
            members = features[y == label]
            if len(members):
                mean = members.mean(axis=0)
                protos[label] = mean / (np.linalg.norm(mean) or 1.0)
        self.prototypes = protos

    def predict_proba(self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        features = _unit_rows(_features(vectors, cues, self.cue_weight))
        return softmax(self.scale * features @ self.prototypes.T)


class KnnScorer:
    """Similarity-weighted vote of the k nearest examples."""

    def __init__(self, k: int = 10, cue_weight: float = 0.0, scale: float = 20.0):
        self.k = k
        self.cue_weight = cue_weight
        self.scale = scale
        self.train = np.zeros((0, 0), dtype=np.float32)
        self.y = np.zeros(0, dtype=np.int64)
        self.n_labels = 0

    def fit(
        self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str], y: np.ndarray, n_labels: int
    ) -> None:
        self.train = _unit_rows(_features(vectors, cues, self.cue_weight))
        self.y = y
        self.n_labels = n_labels

    def predict_proba(self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        sims = _unit_rows(_features(vectors, cues, self.cue_weight)) @ self.train.T
        k = min(self.k, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        scores = np.full((len(sims), self.n_labels), 1e-3, dtype=np.float64)
        for row in range(len(sims)):
            weights = np.exp(self.scale * (sims[row, top[row]] - 1.0))
            np.add.at(scores[row], self.y[top[row]], weights)
        return scores / scores.sum(axis=1, keepdims=True)


class LinearScorer:
    """A linear model (logistic regression or linear SVM) on the embedding and, with keyword
    features, the taxonomy's cue indicators and TF-IDF word uni- and bigrams of the text."""

    def __init__(self, kind: str = "svm", keywords: bool = True, c: float = 1.0):
        self.kind = kind
        self.keywords = keywords
        self.c = c
        self.model: Any = None
        self.vocabulary: Any = None
        self.n_labels = 0
        self.classes = np.zeros(0, dtype=np.int64)

    def _matrix(self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str]) -> Any:
        if not self.keywords:
            return vectors
        import scipy.sparse as sparse

        words = self.vocabulary.transform([t[:MAX_EXAMPLE_CHARS] for t in texts])
        return sparse.hstack([sparse.csr_matrix(vectors), sparse.csr_matrix(cues), words]).tocsr()

    def fit(
        self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str], y: np.ndarray, n_labels: int
    ) -> None:
        if self.keywords:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self.vocabulary = TfidfVectorizer(
                ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50_000
            )
            try:
                self.vocabulary.fit([t[:MAX_EXAMPLE_CHARS] for t in texts])
            except ValueError:  # too few texts for min_df=2
                self.vocabulary = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(
                    [t[:MAX_EXAMPLE_CHARS] or "empty" for t in texts]
                )
        features = self._matrix(vectors, cues, texts)
        self.n_labels = n_labels
        self.classes = np.unique(y)
        if len(self.classes) < 2:
            self.model = None
            return
        if self.kind == "svm":
            from sklearn.svm import LinearSVC

            self.model = LinearSVC(C=self.c)
        else:
            from sklearn.linear_model import LogisticRegression

            self.model = LogisticRegression(C=4.0 * self.c, max_iter=500)
        self.model.fit(features, y)
        self.classes = self.model.classes_

    def predict_proba(self, vectors: np.ndarray, cues: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        full = np.full((len(vectors), self.n_labels), 1e-9, dtype=np.float64)
        if self.model is None:
            full[:, self.classes] = 1.0
            return full / full.sum(axis=1, keepdims=True)
        features = self._matrix(vectors, cues, texts)
        if self.kind == "svm":
            margins = np.asarray(self.model.decision_function(features), dtype=np.float64)
            if margins.ndim == 1:  # two classes: one margin
                margins = np.stack([-margins, margins], axis=1)
            logits = np.full((len(vectors), self.n_labels), -30.0)
            logits[:, self.classes] = margins
            return softmax(logits)
        full[:, self.classes] = self.model.predict_proba(features)
        return full / full.sum(axis=1, keepdims=True)


def make_scorer(method: str) -> Scorer:
    """Scorers by name: ``svm``, ``logreg``, ``knn``, ``prototype``; ``+kw`` adds keyword
    features (cue indicators; for the linear models also TF-IDF word n-grams)."""
    base, plus, flag = method.partition("+")
    if plus and flag != "kw":
        raise ValueError(f"unknown classifier {method!r}")
    keywords = bool(plus)
    if base in ("svm", "logreg"):
        return LinearScorer(base, keywords)
    if base == "knn":
        return KnnScorer(cue_weight=0.5 if keywords else 0.0)
    if base == "prototype":
        return PrototypeScorer(cue_weight=0.5 if keywords else 0.0)
    raise ValueError(f"unknown classifier {method!r} (svm, logreg, knn, prototype; +kw)")


METHODS = ("prototype", "prototype+kw", "knn", "knn+kw", "logreg", "logreg+kw", "svm", "svm+kw")


# ----------------------------------------------------------------------------- calibration


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Sharpen (T < 1) or soften (T > 1) probabilities: p_i^(1/T), renormalised."""
    logits = np.log(np.clip(probs, 1e-12, 1.0)) / temperature
    return softmax(logits)


def fit_temperature(probs: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of the true labels."""
    best, best_nll = 1.0, float("inf")
    for temperature in np.exp(np.linspace(np.log(0.02), np.log(10.0), 80)):
        calibrated = apply_temperature(probs, float(temperature))
        nll = -float(np.mean(np.log(np.clip(calibrated[np.arange(len(y)), y], 1e-12, 1.0))))
        if nll < best_nll:
            best, best_nll = float(temperature), nll
    return best


def pick_threshold(scores: np.ndarray, correct: np.ndarray, target: float, floor: float) -> float:
    """The lowest confidence at which the precision of everything at or above it reaches
    ``target`` (at least ``floor``); 0.99 when no threshold reaches it."""
    if len(scores) == 0:
        return max(floor, 0.5)
    order = np.argsort(-scores)
    sorted_scores, sorted_correct = scores[order], correct[order]
    precision = np.cumsum(sorted_correct) / np.arange(1, len(order) + 1)
    ok = np.nonzero(precision >= target)[0]
    if len(ok) == 0:
        return 0.99
    # the largest prefix meeting the target: its last score is the threshold
    return float(max(floor, min(0.99, sorted_scores[ok[-1]])))


def best_f_threshold(
    scores: np.ndarray, correct: np.ndarray, positives: int, floor: float, beta: float = 1.0
) -> float:
    """The confidence threshold (at least ``floor``) that maximises F-beta, where ``scores``
    are the candidates' confidences, ``correct`` whether each is right and ``positives`` how
    many true members of the type exist."""
    keep = scores >= floor
    scores, correct = scores[keep], correct[keep]
    if len(scores) == 0 or positives == 0:
        return floor
    order = np.argsort(-scores)
    sorted_scores = scores[order]
    tp = np.cumsum(correct[order])
    predicted = np.arange(1, len(order) + 1)
    b2 = beta * beta
    f = (1 + b2) * tp / (predicted + b2 * positives)
    # ties: the cut may only fall between different scores
    last_of_run = np.append(sorted_scores[1:] != sorted_scores[:-1], True)
    f = np.where(last_of_run, f, -1.0)
    return float(max(floor, min(0.99, sorted_scores[int(np.argmax(f))])))


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    total, ece = len(confidence), 0.0
    for low, high in itertools.pairwise(edges):
        mask = (confidence > low) & (confidence <= high)
        if mask.any():
            ece += mask.sum() / total * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def reliability(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> list[tuple[float, float, float, int]]:
    """(bin low, bin high, accuracy, count) per confidence bin."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for low, high in itertools.pairwise(edges):
        mask = (confidence > low) & (confidence <= high)
        if mask.any():
            rows.append((float(low), float(high), float(correct[mask].mean()), int(mask.sum())))
    return rows


# ----------------------------------------------------------------------------- classifier


@dataclass(frozen=True)
class Prediction:
    label: str  # a signal type id, or "none"
    confidence: float  # calibrated probability that ``label`` is right
    top_label: str  # the most probable label before thresholds
    top_probability: float


def top_and_best_signal(row: np.ndarray, none_index: int) -> tuple[int, int]:
    """The most probable label and the most probable signal type (never ``none``)."""
    signal_row = row.copy()
    signal_row[none_index] = -1.0
    return int(np.argmax(row)), int(np.argmax(signal_row))


def decide_two_stage(
    probs: np.ndarray,
    labels: Sequence[str],
    event_threshold: float,
    type_thresholds: Mapping[str, float] | None = None,
) -> list[Prediction]:
    """Joint probabilities → predictions, event first: a passage is a signal when
    P(event) = 1 - P(none) reaches the threshold of its most probable type
    (``type_thresholds``, else ``event_threshold``); its type is that type and its
    confidence that type's joint probability. ``none`` is told with P(none)."""
    none_index = list(labels).index(NONE)
    thresholds = type_thresholds or {}
    out = []
    for row in probs:
        top, best = top_and_best_signal(row, none_index)
        event = 1.0 - float(row[none_index])
        if event >= thresholds.get(labels[best], event_threshold):
            out.append(Prediction(labels[best], float(row[best]), labels[top], float(row[top])))
        else:
            out.append(Prediction(NONE, float(row[none_index]), labels[top], float(row[top])))
    return out


@dataclass
class SignalClassifier:
    """A fitted scorer with its temperature, per-type thresholds and training examples.

    With ``event_threshold`` set (the shipped two-stage head) the decision is event first
    (:func:`decide_two_stage`) and the per-type thresholds are not used."""

    labels: tuple[str, ...]
    method: str
    scorer: Scorer
    temperature: float
    thresholds: dict[str, float]
    examples: list[Example]
    vectors: np.ndarray
    model_name: str = ""
    cv_report: dict[str, float] = field(default_factory=dict)
    event_threshold: float | None = None
    # Per type, the P(event) a two-stage decision needs instead of ``event_threshold``.
    type_event_thresholds: dict[str, float] = field(default_factory=dict)
    # A second classifier asked about the passages this one calls ``none`` (its signals win).
    rescue: SignalClassifier | None = None

    @property
    def taxonomy(self) -> Taxonomy:
        return default_taxonomy()

    def probabilities(
        self, vectors: np.ndarray, texts: Sequence[str], cues: np.ndarray | None = None
    ) -> np.ndarray:
        """Calibrated probabilities over ``labels``, one row per text (``cues``: the texts'
        :func:`cue_matrix`, when the caller already has it)."""
        if len(texts) == 0:
            return np.zeros((0, len(self.labels)))
        if cues is None:
            cues = cue_matrix(texts, self.taxonomy)
        return apply_temperature(self.scorer.predict_proba(vectors, cues, texts), self.temperature)

    def decide(self, probs: np.ndarray) -> list[Prediction]:
        if self.event_threshold is not None:
            return decide_two_stage(probs, self.labels, self.event_threshold, self.type_event_thresholds)
        none_index = self.labels.index(NONE)
        out = []
        for row in probs:
            top, best = top_and_best_signal(row, none_index)
            label = self.labels[best]
            if top == best and row[best] >= self.thresholds.get(label, 0.99):
                out.append(Prediction(label, float(row[best]), label, float(row[top])))
            else:
                out.append(Prediction(NONE, float(1.0 - row[best]), self.labels[top], float(row[top])))
        return out

    def predict(self, vectors: np.ndarray, texts: Sequence[str]) -> list[Prediction]:
        return self.score(vectors, texts)[1]

    def score(self, vectors: np.ndarray, texts: Sequence[str]) -> tuple[np.ndarray, list[Prediction]]:
        """The calibrated probabilities (:meth:`probabilities`) and the predictions
        (:meth:`predict`) of the texts, from one pass: the cue features and the scorer run
        once, and the second opinion reuses the cue features of the passages it is asked about."""
        if len(texts) == 0:
            return np.zeros((0, len(self.labels))), []
        cues = cue_matrix(texts, self.taxonomy)
        return self._score(vectors, texts, cues)

    def _score(
        self, vectors: np.ndarray, texts: Sequence[str], cues: np.ndarray
    ) -> tuple[np.ndarray, list[Prediction]]:
        probabilities = self.probabilities(vectors, texts, cues)
        predictions = self.decide(probabilities)
        missed = [i for i, p in enumerate(predictions) if p.label == NONE]
        if self.rescue is not None and missed:
            second_probabilities, second = self.rescue._score(
                vectors[missed], [texts[i] for i in missed], cues[missed]
            )
            for i, row, prediction in zip(missed, second_probabilities, second, strict=True):
                if prediction.label != NONE:
                    # the rescued passage is told with the probabilities it was decided on, so
                    # its scores, runner-up and document decision agree with its label
                    predictions[i] = prediction
                    probabilities[i] = row
        return probabilities, predictions

    def nearest(self, vector: np.ndarray, k: int = 3) -> list[tuple[Example, float]]:
        """The k labelled examples most similar to one passage vector (cosine)."""
        return self.nearest_many(np.asarray(vector).reshape(1, -1), k)[0]

    def nearest_many(self, vectors: np.ndarray, k: int = 3) -> list[list[tuple[Example, float]]]:
        """:meth:`nearest` of each row of ``vectors``, from one matrix product per chunk.

        A similarity product per signal cost milliseconds of waiting math-library threads on
        a busy machine; one product for a batch costs about as much as one of those. A batch
        product sums in another order than a single one, so their similarities differ in the
        last bits (~1e-7). Where that could show (two of the k+1 best closer than
        ``NEAREST_SETTLED``, or a similarity that close to a 4th-decimal rounding boundary,
        as explanations print them), the row is computed alone, as one signal at a time is:
        the examples, their order and their printed similarities come out the same either way.
        """
        if len(self.examples) == 0:
            return [[] for _ in range(len(vectors))]
        k = min(k, len(self.examples))
        out = []
        for start in range(0, len(vectors), NEAREST_CHUNK):
            chunk = np.asarray(vectors[start : start + NEAREST_CHUNK], dtype=np.float32)
            for vector, sims in zip(chunk, chunk @ self.vectors.T, strict=True):
                top = _top(sims, min(k + 1, len(sims)))
                if _settled(sims[top], k):
                    out.append([(self.examples[i], float(sims[i])) for i in top[:k]])
                else:
                    alone = self.vectors @ vector
                    out.append([(self.examples[i], float(alone[i])) for i in _top(alone, k)])
        return out

    def prototype(self, label: str) -> np.ndarray:
        """The normalised mean vector of the type's examples (computed once per label)."""
        cached = self._prototypes.get(label)
        if cached is None:
            members = self.vectors[[e.label == label for e in self.examples]]
            if len(members) == 0:
                cached = np.zeros(self.vectors.shape[1], dtype=np.float32)
            else:
                mean = members.mean(axis=0)
                cached = (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)
            self._prototypes[label] = cached
        return cached

    @functools.cached_property
    def _prototypes(self) -> dict[str, np.ndarray]:
        return {}


def _top(sims: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest similarities, largest first."""
    top = np.argpartition(-sims, k - 1)[:k]
    return top[np.argsort(-sims[top])]


def _settled(best: np.ndarray, k: int) -> bool:
    """Whether the best similarities (largest first, k or k+1 of them) are far enough from
    each other and the first k from a printed rounding boundary that a float32 product could
    not order or print them otherwise (see :meth:`SignalClassifier.nearest_many`)."""
    if len(best) > 1 and np.any(best[:-1] - best[1:] <= NEAREST_SETTLED):
        return False
    scaled = best[:k] * 1e4
    return bool(np.all(np.abs(scaled - np.floor(scaled) - 0.5) > NEAREST_SETTLED * 1e4))


def cue_matrix(texts: Sequence[str], taxonomy: Taxonomy) -> np.ndarray:
    return np.array([taxonomy.cue_vector(t) for t in texts], dtype=np.float32).reshape(
        len(texts), len(taxonomy.types)
    )


def out_of_fold(
    method: str,
    vectors: np.ndarray,
    cues: np.ndarray,
    texts: Sequence[str],
    y: np.ndarray,
    n_labels: int,
    folds: int = 5,
) -> np.ndarray:
    """Probabilities of each training example from a scorer that never saw it."""
    from sklearn.model_selection import StratifiedKFold

    counts = np.bincount(y, minlength=n_labels)
    present = counts[counts > 0]
    folds = int(min(folds, present.min())) if len(present) else 0
    probs = np.full((len(y), n_labels), 1.0 / max(n_labels, 1))
    if folds < 2:
        return probs
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=13)
    for train_idx, test_idx in splitter.split(vectors, y):
        scorer = make_scorer(method)
        scorer.fit(vectors[train_idx], cues[train_idx], [texts[i] for i in train_idx], y[train_idx], n_labels)
        probs[test_idx] = scorer.predict_proba(
            vectors[test_idx], cues[test_idx], [texts[i] for i in test_idx]
        )
    return probs


def fit_classifier(
    examples: Sequence[Example],
    vectors: np.ndarray,
    *,
    method: str = "svm+kw",
    target_precision: float = 0.9,
    min_confidence: float = 0.5,
    threshold_policy: str = "f1",
    taxonomy: Taxonomy | None = None,
    model_name: str = "",
) -> SignalClassifier:
    """Fit on ``examples`` (use only the training split): scorer, temperature and per-type
    thresholds from out-of-fold predictions."""
    taxonomy = taxonomy or default_taxonomy()
    labels = taxonomy.labels
    index = {label: i for i, label in enumerate(labels)}
    y = np.array([index[e.label] for e in examples], dtype=np.int64)
    cues = cue_matrix([e.text for e in examples], taxonomy)
    texts = [e.text for e in examples]
    oof = out_of_fold(method, vectors, cues, texts, y, len(labels))
    temperature = fit_temperature(oof, y) if len(y) else 1.0
    calibrated = apply_temperature(oof, temperature)
    thresholds: dict[str, float] = {}
    none_index = index[NONE]
    masked = calibrated.copy()
    masked[:, none_index] = -1.0
    best = masked.argmax(axis=1)
    emitted = best == calibrated.argmax(axis=1)  # only a winning signal type is ever emitted
    for label in taxonomy.ids:
        i = index[label]
        chosen = (best == i) & emitted
        right = (y[chosen] == i).astype(np.float64)
        if threshold_policy == "precision":
            thresholds[label] = pick_threshold(calibrated[chosen, i], right, target_precision, min_confidence)
        else:
            thresholds[label] = best_f_threshold(
                calibrated[chosen, i], right, int((y == i).sum()), min_confidence
            )
    scorer = make_scorer(method)
    if len(y):
        scorer.fit(vectors, cues, texts, y, len(labels))
    return SignalClassifier(
        labels=labels,
        method=method,
        scorer=scorer,
        temperature=temperature,
        thresholds=thresholds,
        examples=list(examples),
        vectors=vectors.astype(np.float32),
        model_name=model_name,
    )


_lock = threading.Lock()


@functools.cache
def _cached_classifier(
    examples_dir: str,
    method: str,
    target_precision: float,
    min_confidence: float,
    threshold_policy: str,
    persist: bool,
    embedder_key: int,
) -> SignalClassifier:
    embedder = _embedders[embedder_key]
    examples = [e for e in load_examples(examples_dir or None) if e.split == "train"]
    key = "-".join(
        [
            CACHE_VERSION,
            _safe(embedder.name),
            examples_digest(examples),
            _taxonomy_digest(),
            method.replace("+", "_"),
            f"{target_precision:.3f}",
            f"{min_confidence:.3f}",
            threshold_policy,
        ]
    )
    path = cache_dir() / f"classifier-{key}.pickle"
    if persist and path.exists():
        try:
            with open(path, "rb") as handle:
                cached = pickle.load(handle)  # our own file in the user's private cache
            if isinstance(cached, SignalClassifier):
                return cached
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            pass
    vectors = embed_examples(examples, embedder, use_disk_cache=persist)
    classifier = fit_classifier(
        examples,
        vectors,
        method=method,
        target_precision=target_precision,
        min_confidence=min_confidence,
        threshold_policy=threshold_policy,
        model_name=embedder.name,
    )
    if persist:
        _write_atomic(path, lambda f: pickle.dump(classifier, f))
    return classifier


_embedders: dict[int, Embedder] = {}


def _taxonomy_digest() -> str:
    """The taxonomy's cues are features: a changed taxonomy file needs a refit."""
    text = (resources.files("signals") / "taxonomy.toml").read_bytes()
    return hashlib.blake2b(text, digest_size=6).hexdigest()


def get_classifier(
    embedder: Embedder,
    *,
    examples_dir: str = "",
    method: str = DEFAULT_CLASSIFIER,
    target_precision: float = 0.9,
    min_confidence: float = 0.5,
    threshold_policy: str = "f1",
    persist: bool = True,
) -> SignalClassifier:
    """The classifier of these settings, once per process: ``head`` is the shipped two-stage
    head (fitted weights read from ``signals/head.npz``); any other method is fitted on the
    training examples (and kept in the user cache folder between processes)."""
    with _lock:
        _embedders[id(embedder)] = embedder
        if method == HEAD_METHOD:
            return _cached_head(examples_dir, persist, id(embedder))
        if method == RESCUED_METHOD:
            first = _cached_classifier(
                examples_dir,
                "svm+kw",
                target_precision,
                min_confidence,
                threshold_policy,
                persist,
                id(embedder),
            )
            head = _cached_head(examples_dir, persist, id(embedder))
            sure = dataclasses.replace(
                head, event_threshold=RESCUE_EVENT_THRESHOLD, type_event_thresholds=_rescue_thresholds(head)
            )
            return dataclasses.replace(first, method=RESCUED_METHOD, rescue=sure)
        return _cached_classifier(
            examples_dir,
            method,
            target_precision,
            min_confidence,
            threshold_policy,
            persist,
            id(embedder),
        )


HEAD_METHOD = "head"
# svm+kw first; the passages it calls none go to the head, which may still call them events
# when it is sure.
RESCUED_METHOD = "svm+kw+head"
# How sure, where the shipped head names no per-type rescue threshold: the lowest at which
# the fixture web's pages stay as precise as svm+kw alone. Since the head was fitted with
# page furniture weighted up (scripts/devtools/fit_head.py), 0.85 adds no unplanted signal
# there (0.80: 10.8 % unplanted) and finds more real events than 0.95 (BENCHMARKS.md,
# "Page furniture in the head's fit").
RESCUE_EVENT_THRESHOLD = 0.85


def _rescue_thresholds(head: SignalClassifier) -> dict[str, float]:
    """Per type, the P(event) at which the head's type replaces svm+kw's none: the shipped
    head's per-type choice (scripts/devtools/rescue_fit.py), else the flat threshold."""
    scorer = head.scorer
    chosen = getattr(scorer, "rescue_thresholds", {})
    return {label: float(chosen.get(label, RESCUE_EVENT_THRESHOLD)) for label in head.labels if label != NONE}


@functools.cache
def _cached_head(examples_dir: str, persist: bool, embedder_key: int) -> SignalClassifier:
    """The shipped head around the examples that explanations quote (our own writing only)."""
    from signals.head import TwoStageHead, shipped_head_path

    embedder = _embedders[embedder_key]
    head = TwoStageHead.load(shipped_head_path())
    if head.model_name != embedder.name:
        raise ValueError(
            f"the shipped classifier head was fitted on {head.model_name} embeddings, not "
            f"{embedder.name}: set [signals] classifier to svm+kw (fitted on the examples) or "
            "refit the head with python -m scripts.devtools.fit_head"
        )
    examples = load_examples(examples_dir or None)
    return SignalClassifier(
        labels=head.labels,
        method=HEAD_METHOD,
        scorer=head,
        temperature=1.0,
        thresholds={label: head.event_threshold for label in head.type_ids},
        examples=examples,
        vectors=embed_examples(examples, embedder, use_disk_cache=persist),
        model_name=embedder.name,
        event_threshold=head.event_threshold,
    )
