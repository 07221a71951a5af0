"""Format checks on the labelled example set in signals/examples/ (data, not code)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from common.vocabulary import SIGNAL_IDS

EXAMPLES = Path(__file__).resolve().parents[2] / "signals" / "examples"

SIGNAL_LABELS = SIGNAL_IDS
LABELS = (*SIGNAL_LABELS, "none")
STYLES = frozenset(
    {
        "press_release",
        "job_ad",
        "blog",
        "forum",
        "headline",
        "news",
        "analysis",
        "social",
        "about_page",
        "product_page",
        "financial",
        "event",
        "notice",
    }
)
FIELDS = frozenset({"text", "label", "style", "split"})
MIN_PER_SIGNAL = 40
MIN_NONE = 600
MAX_WORDS = 80
MAX_CHARS = 600


def _load(label: str) -> list[dict[str, Any]]:
    path = EXAMPLES / f"{label}.jsonl"
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{path.name}:{number} is blank"
        row = json.loads(line)
        assert isinstance(row, dict), f"{path.name}:{number} is not an object"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def examples() -> dict[str, list[dict[str, Any]]]:
    return {label: _load(label) for label in LABELS}


def test_one_file_per_label_and_no_stray_files() -> None:
    names = {path.stem for path in EXAMPLES.glob("*.jsonl")}
    assert names == set(LABELS)


@pytest.mark.parametrize("label", LABELS)
def test_rows_have_exact_fields_and_known_values(
    examples: dict[str, list[dict[str, Any]]], label: str
) -> None:
    for row in examples[label]:
        assert set(row) == FIELDS, row
        assert row["label"] == label, row
        assert row["style"] in STYLES, row
        assert row["split"] in ("train", "eval"), row
        assert isinstance(row["text"], str)


@pytest.mark.parametrize("label", LABELS)
def test_texts_are_clean_and_of_sane_length(examples: dict[str, list[dict[str, Any]]], label: str) -> None:
    for row in examples[label]:
        text = row["text"]
        assert text == " ".join(text.split()), f"untrimmed or multi-space text: {text!r}"
        assert 2 <= len(text) <= MAX_CHARS, text
        assert len(text.split()) <= MAX_WORDS, text
        assert not any(ord(ch) < 32 for ch in text), text


@pytest.mark.parametrize("label", LABELS)
def test_enough_examples_per_label(examples: dict[str, list[dict[str, Any]]], label: str) -> None:
    minimum = MIN_NONE if label == "none" else MIN_PER_SIGNAL
    assert len(examples[label]) >= minimum


@pytest.mark.parametrize("label", SIGNAL_LABELS)
def test_signal_examples_carry_a_clause(examples: dict[str, list[dict[str, Any]]], label: str) -> None:
    # Navigation fragments ("Read more") belong to `none`; a signal needs at least a headline.
    for row in examples[label]:
        assert len(row["text"].split()) >= 4, row


@pytest.mark.parametrize("label", LABELS)
def test_eval_split_is_a_fixed_quarter(examples: dict[str, list[dict[str, Any]]], label: str) -> None:
    rows = examples[label]
    evaluated = sum(row["split"] == "eval" for row in rows)
    assert abs(evaluated - len(rows) / 4) <= 1.5, (label, evaluated, len(rows))


@pytest.mark.parametrize("label", LABELS)
def test_both_splits_cover_several_styles(examples: dict[str, list[dict[str, Any]]], label: str) -> None:
    for split in ("train", "eval"):
        styles = {row["style"] for row in examples[label] if row["split"] == split}
        assert len(styles) >= 3, (label, split, styles)


def test_no_text_appears_twice_across_all_files(
    examples: dict[str, list[dict[str, Any]]],
) -> None:
    counts = Counter(row["text"].casefold() for rows in examples.values() for row in rows)
    repeated = [text for text, count in counts.items() if count > 1]
    assert repeated == []


def test_none_covers_every_style(examples: dict[str, list[dict[str, Any]]]) -> None:
    # The negatives must look like every kind of page a signal can come from.
    assert {row["style"] for row in examples["none"]} == STYLES


def test_examples_are_varied_not_templated(
    examples: dict[str, list[dict[str, Any]]],
) -> None:
    # Slot-filled templates share long openings; written examples rarely do.
    openings = Counter(
        " ".join(row["text"].casefold().split()[:5])
        for rows in examples.values()
        for row in rows
        if len(row["text"].split()) >= 8
    )
    most_common, count = openings.most_common(1)[0]
    assert count <= 4, most_common
