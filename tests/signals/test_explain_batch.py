"""Explanations built for a whole batch at once (one clause-embedding call, one similarity
product) are the explanations built one signal at a time, on the real model: the same key
phrase, nearest examples, similarities and why-now line, on fixture-web sentences and on the
throughput benchmark's passages. Scoring in one pass gives the probabilities and predictions
of two."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from scripts.fixture_web import content
from signals.classify import Prediction, SignalClassifier, get_classifier, load_examples
from signals.embed import default_embedder
from signals.explain import (
    MAX_CLAUSES,
    Explanation,
    NearestExample,
    ToExplain,
    _trim_to_words,
    clauses,
    cue_phrase,
    explain_all,
    key_phrase,
    why_now,
)
from signals.pipeline import classify_scored
from signals.settings import SignalSettings
from signals.taxonomy import NONE

Encode = Callable[[Sequence[str]], np.ndarray]
BENCH_COMPANIES = [
    "Harlow Tiles",
    "Quaymark",
    "Ostend Freight",
    "Pellucid Labs",
    "Brackenridge",
    "Umber & Co",
]


# --------------------------------------------------------------- one signal at a time
# The explanation as it was built before batching: a model call per signal for its clauses
# and a similarity product per signal. Kept here, apart from the code, as the reference.


def one_by_one_key_phrase(text: str, label: str, classifier: SignalClassifier, encode: Encode) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    if label != NONE:
        phrase = cue_phrase(text, label)
        if phrase:
            return phrase
        parts = clauses(text)[:MAX_CLAUSES]
        if len(parts) == 1:
            phrase = _trim_to_words(parts[0], 0, len(parts[0]))
        elif parts:
            best = parts[int(np.argmax(encode(parts) @ classifier.prototype(label)))]
            phrase = _trim_to_words(best, 0, len(best))
        if phrase:
            return phrase
    return _trim_to_words(text, 0, min(len(text), 120))


def one_by_one_nearest(classifier: SignalClassifier, vector: np.ndarray, k: int = 3) -> list[NearestExample]:
    sims = classifier.vectors @ vector.astype(np.float32)
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top])]
    example = classifier.examples
    return [NearestExample(example[i].text[:300], example[i].label, round(float(sims[i]), 4)) for i in top]


def one_by_one(item: ToExplain, classifier: SignalClassifier, encode: Encode | None) -> Explanation:
    phrase = (
        one_by_one_key_phrase(item.text, item.label, classifier, encode)
        if encode is not None
        else key_phrase(item.text, item.label)
    )
    return Explanation(
        key_phrase=phrase,
        nearest_examples=one_by_one_nearest(classifier, item.vector),
        why_now=why_now(item.label, phrase, company=item.company, published=item.published),
    )


# --------------------------------------------------------------------------- passages


def bench_passages(count: int, seed: int = 7) -> list[str]:
    """Passages as ``scripts/devtools/bench_classify.py`` writes them."""
    rng = random.Random(seed)
    texts = [e.text for e in load_examples()]
    return [
        f"{rng.choice(BENCH_COMPANIES)} (item {n}.0, ref {rng.randint(1000, 9999)}): {rng.choice(texts)}"
        for n in range(count)
    ]


def fixture_web_passages(seed: int = 11) -> list[str]:
    """Sentences as the fixture web plants them, alone and run together into passages."""
    rng = random.Random(seed)
    context = {"company": "Quaymark Freight", "city": "Leeds"}
    sentences = []
    for signal_type in sorted(content.SIGNALS):
        sentences += [content.signal_sentence(signal_type, rng, context)[0] for _ in range(3)]
    sentences += [content.filler_sentence(rng, context) for _ in range(25)]
    sentences += [content.hard_negative(rng, context)[0] for _ in range(25)]
    runs = [" ".join(rng.sample(sentences, 3)) for _ in range(40)]
    return sentences + runs


@pytest.fixture(scope="module")
def classifier() -> SignalClassifier:
    """The default classifier (``svm+kw+head``: the head gives a second opinion)."""
    return get_classifier(default_embedder(), method=SignalSettings().classifier)


@pytest.fixture(scope="module")
def passages() -> list[str]:
    return bench_passages(120) + fixture_web_passages()


def to_explain(classifier: SignalClassifier, texts: list[str]) -> list[ToExplain]:
    """Each passage with its predicted label, and again with its most probable signal type:
    that one often has no cue in the passage, so its key phrase is the clause the model picks."""
    vectors = default_embedder().encode(texts)
    probabilities = classifier.probabilities(vectors, texts)
    predictions = classifier.predict(vectors, texts)
    none = classifier.labels.index(NONE)
    items = []
    for text, vector, row, prediction in zip(texts, vectors, probabilities, predictions, strict=True):
        items.append(ToExplain(text, prediction.label, vector, "Quaymark", "2026-11-02"))
        signal_row = row.copy()
        signal_row[none] = -1.0
        items.append(ToExplain(text, classifier.labels[int(np.argmax(signal_row))], vector))
    return items


def test_reference_exercises_every_path(classifier: SignalClassifier, passages: list[str]) -> None:
    """The comparison below means something: both cue phrases and model-picked clauses occur."""
    items = to_explain(classifier, passages)
    cue = sum(1 for i in items if i.label != NONE and cue_phrase(" ".join(i.text.split()), i.label))
    by_model = sum(
        1
        for i in items
        if i.label != NONE
        and not cue_phrase(" ".join(i.text.split()), i.label)
        and len(clauses(" ".join(i.text.split()))) > 1
    )
    assert cue > 50 and by_model > 50


@pytest.mark.slow
def test_batched_explanations_equal_one_by_one_with_clause_embeddings(
    classifier: SignalClassifier, passages: list[str]
) -> None:
    """What ``classify --stdin`` prints (key phrases from the model's clause choice too);
    one model call per signal makes the reference slow, so a twelfth of the passages."""
    encode = default_embedder().encode
    items = to_explain(classifier, passages[::12])
    batched = [e.as_json() for e in explain_all(items, classifier, encode=encode)]
    single = [one_by_one(item, classifier, encode).as_json() for item in items]
    assert batched == single


def test_batched_explanations_equal_one_by_one_from_cues(
    classifier: SignalClassifier, passages: list[str]
) -> None:
    """What the classify step stores (key phrases from cues only)."""
    items = to_explain(classifier, passages)
    batched = [e.as_json() for e in explain_all(items, classifier)]
    single = [one_by_one(item, classifier, None).as_json() for item in items]
    assert batched == single


def test_one_scoring_pass_gives_the_probabilities_and_predictions_of_two(
    classifier: SignalClassifier, passages: list[str]
) -> None:
    assert classifier.rescue is not None  # the default has a second opinion: exercise it
    vectors = default_embedder().encode(passages)
    probabilities, predictions = classifier.score(vectors, passages)
    expected, first, second = decided_rows(classifier, vectors, passages)
    assert np.array_equal(probabilities, expected)
    assert predictions == first
    assert any(p.label != NONE for p in second)  # the rescue changed something here


def decided_rows(
    classifier: SignalClassifier, vectors: np.ndarray, texts: list[str]
) -> tuple[np.ndarray, list[Prediction], list[Prediction]]:
    """What the default decides, the slow way: its own probabilities and decisions, and for
    each passage its second opinion rescues, the second opinion's probabilities and decision."""
    assert classifier.rescue is not None
    rows = classifier.probabilities(vectors, texts)
    first = classifier.decide(rows)
    missed = [i for i, p in enumerate(first) if p.label == NONE]
    missed_texts = [texts[i] for i in missed]
    second_rows = classifier.rescue.probabilities(vectors[missed], missed_texts)
    second = classifier.rescue.predict(vectors[missed], missed_texts)
    for i, row, prediction in zip(missed, second_rows, second, strict=True):
        if prediction.label != NONE:
            first[i] = prediction
            rows[i] = row
    return rows, first, second


def test_classify_scored_returns_the_rows_it_decided_from(classifier: SignalClassifier) -> None:
    texts = fixture_web_passages()[:30]
    vectors = default_embedder().encode(texts)
    results, rows = classify_scored(texts, vectors, classifier, encode=default_embedder().encode)
    assert np.array_equal(rows, decided_rows(classifier, vectors, texts)[0])
    assert [r.signal_type for r in results] != [NONE] * len(texts)
