"""Why a passage is a signal: the key phrase that drives the decision, the nearest labelled
examples, and a one-line "why now"."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np

from signals.classify import Example, SignalClassifier
from signals.taxonomy import NONE, Taxonomy, default_taxonomy

MAX_PHRASE_CHARS = 120
MAX_EXAMPLE_CHARS = 300
# Clauses of a passage compared with the type's prototype (a run-on passage's tail adds cost,
# not a better phrase).
MAX_CLAUSES = 12
_CLAUSE_SPLIT = re.compile(r"(?<=[,;:.!?])\s+|\s+[-–—]\s+|\s*\|\s*|\s+\b(?:and|but|while|as)\b\s+")


@dataclass(frozen=True)
class NearestExample:
    text: str
    label: str
    similarity: float


@dataclass(frozen=True)
class Explanation:
    key_phrase: str
    nearest_examples: list[NearestExample]
    why_now: str

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        for example in data["nearest_examples"]:
            example["similarity"] = round(float(example["similarity"]), 4)
        return data


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _trim_to_words(text: str, start: int, end: int) -> str:
    """The span widened to whole words and cut to at most MAX_PHRASE_CHARS."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    phrase = text[start:end].strip(" ,;:.-–—")
    if len(phrase) > MAX_PHRASE_CHARS:
        phrase = phrase[:MAX_PHRASE_CHARS].rsplit(" ", 1)[0]
    return phrase


def cue_phrase(text: str, label: str, taxonomy: Taxonomy | None = None) -> str:
    """The longest run of the type's keyword cues in the passage ('' when none match)."""
    taxonomy = taxonomy or default_taxonomy()
    spans = _merge(taxonomy.cue_spans(label, text))
    if not spans:
        return ""
    start, end = max(spans, key=lambda s: (s[1] - s[0], -s[0]))
    return _trim_to_words(text, start, end)


def clauses(text: str) -> list[str]:
    parts = [p.strip(" ,;:.-–—|") for p in _CLAUSE_SPLIT.split(text)]
    return [p for p in parts if len(p) >= 3]


def embedding_phrase(text: str, prototype: np.ndarray, encode: Callable[[Sequence[str]], np.ndarray]) -> str:
    """The clause of the passage closest to the type's prototype (model call: a few clauses)."""
    parts = clauses(text)[:MAX_CLAUSES]
    if not parts:
        return ""
    if len(parts) == 1:
        return _trim_to_words(parts[0], 0, len(parts[0]))
    return _closest_clause(parts, encode(parts), prototype)


def _closest_clause(parts: Sequence[str], vectors: np.ndarray, prototype: np.ndarray) -> str:
    best = parts[int(np.argmax(vectors @ prototype))]
    return _trim_to_words(best, 0, len(best))


def key_phrase(
    text: str,
    label: str,
    classifier: SignalClassifier | None = None,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> str:
    """The span that most drives the decision: the type's keyword cues when they match,
    otherwise the clause most similar to the type's prototype, otherwise the passage head."""
    return key_phrases([text], [label], classifier, encode)[0]


def key_phrases(
    texts: Sequence[str],
    labels: Sequence[str],
    classifier: SignalClassifier | None = None,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> list[str]:
    """:func:`key_phrase` of each (text, label), with the clauses of all of them embedded in
    one ``encode`` call.

    A clause's vector does not depend on the other texts of its call (``Embedder.encode``
    promises it), so one call for a batch picks the same clauses as one call per passage,
    at a fraction of the cost: each small call is filled up to a full model batch.
    """
    phrases: list[str | None] = []
    wanted: list[tuple[int, list[str], str]] = []  # (row, clauses, label) to embed
    for row, (raw, label) in enumerate(zip(texts, labels, strict=True)):
        text = " ".join(raw.split())
        phrase = _phrase_without_model(text, label)
        if phrase is None and classifier is not None and encode is not None:
            parts = clauses(text)[:MAX_CLAUSES]
            if len(parts) == 1:
                phrase = _trim_to_words(parts[0], 0, len(parts[0])) or None
            elif parts:
                wanted.append((row, parts, label))
        phrases.append(phrase)
    if wanted and classifier is not None and encode is not None:
        unique = list(dict.fromkeys(part for _, parts, _ in wanted for part in parts))
        index = {part: i for i, part in enumerate(unique)}
        vectors = encode(unique)
        for row, parts, label in wanted:
            chosen = vectors[[index[part] for part in parts]]
            phrases[row] = _closest_clause(parts, chosen, classifier.prototype(label)) or None
    return [
        phrase if phrase is not None else _passage_head(" ".join(text.split()))
        for text, phrase in zip(texts, phrases, strict=True)
    ]


def _phrase_without_model(text: str, label: str) -> str | None:
    """The key phrase when no clause needs embedding: '' for no text, the cue phrase when
    one matches, the passage head for ``none``; None when the clauses decide."""
    if not text:
        return ""
    if label == NONE:
        return _passage_head(text)
    return cue_phrase(text, label) or None


def _passage_head(text: str) -> str:
    return _trim_to_words(text, 0, min(len(text), MAX_PHRASE_CHARS)) if text else ""


def nearest_examples(classifier: SignalClassifier, vector: np.ndarray, k: int = 3) -> list[NearestExample]:
    return _as_examples(classifier.nearest(vector, k))


def _as_examples(found: Sequence[tuple[Example, float]]) -> list[NearestExample]:
    return [
        NearestExample(example.text[:MAX_EXAMPLE_CHARS], example.label, round(similarity, 4))
        for example, similarity in found
    ]


def why_now(label: str, phrase: str, *, company: str | None = None, published: str | None = None) -> str:
    """One line from the type's template, the date and the key phrase."""
    who = (company or "").strip() or "The company"
    when = (published or "")[:10] or datetime.now(UTC).date().isoformat()
    if label == NONE:
        return f"No buying signal found ({when})."
    template = default_taxonomy().get(label).why_now
    quoted = f'"{phrase}"' if phrase else "see passage"
    line = template.format(company=who, date=when, phrase=quoted)
    return line[0].upper() + line[1:]


def explain(
    text: str,
    label: str,
    vector: np.ndarray,
    classifier: SignalClassifier,
    *,
    company: str | None = None,
    published: str | None = None,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> Explanation:
    phrase = key_phrase(text, label, classifier, encode)
    return Explanation(
        key_phrase=phrase,
        nearest_examples=nearest_examples(classifier, vector),
        why_now=why_now(label, phrase, company=company, published=published),
    )


@dataclass(frozen=True)
class ToExplain:
    """One signal of a batch to explain (see :func:`explain_all`)."""

    text: str
    label: str
    vector: np.ndarray
    company: str | None = None
    published: str | None = None


def explain_all(
    items: Sequence[ToExplain],
    classifier: SignalClassifier,
    *,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> list[Explanation]:
    """:func:`explain` of each item, the same explanations from one clause-embedding call and
    one similarity product for the whole batch instead of one of each per signal."""
    if not items:
        return []
    phrases = key_phrases([i.text for i in items], [i.label for i in items], classifier, encode)
    found = classifier.nearest_many(np.stack([i.vector for i in items]))
    return [
        Explanation(
            key_phrase=phrase,
            nearest_examples=_as_examples(near),
            why_now=why_now(item.label, phrase, company=item.company, published=item.published),
        )
        for item, phrase, near in zip(items, phrases, found, strict=True)
    ]
