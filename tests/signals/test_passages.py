"""Sentence splitting, passage windows, passage hashes and boilerplate across a site's pages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signals.passages import (
    BoilerplateIndex,
    normalize_passage,
    passage_hash,
    split_passages,
    split_sentences,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Contoso Inc. hired Dr. Smith as CTO. She starts in May.",
            ["Contoso Inc. hired Dr. Smith as CTO.", "She starts in May."],
        ),
        (
            "Revenue grew 3.5% in the U.S. market. Margins were flat.",
            ["Revenue grew 3.5% in the U.S. market.", "Margins were flat."],
        ),
        ("Wait... what? Yes! Really.", ["Wait... what?", "Yes!", "Really."]),
        ("He said “We are hiring.” Then he left.", ["He said “We are hiring.”", "Then he left."]),
        (
            "Die Firma wächst z.B. in Berlin. Am 3. Mai eröffnet sie ein Büro.",
            ["Die Firma wächst z.B. in Berlin.", "Am 3. Mai eröffnet sie ein Büro."],
        ),
        ("J. R. Smith joins Fabrikam Ltd. as CFO.", ["J. R. Smith joins Fabrikam Ltd. as CFO."]),
        (
            "Version 2.0 ships today. See www.contoso.com for details.",
            ["Version 2.0 ships today.", "See www.contoso.com for details."],
        ),
        (
            "Big Headline Without Period\nThe body starts here. It continues.",
            ["Big Headline Without Period", "The body starts here.", "It continues."],
        ),
        (
            "- Senior Cloud Engineer\n• Data Analyst (m/w/d)\n1. Apply online\n2) Interview",
            ["Senior Cloud Engineer", "Data Analyst (m/w/d)", "Apply online", "Interview"],
        ),
        (
            "東京に新しいオフィスを開設しました。来月から営業します。",
            ["東京に新しいオフィスを開設しました。", "来月から営業します。"],
        ),
        ("", []),
        ("   \n\n  ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_short_lines_are_joined_into_windows() -> None:
    text = "Careers\nApply now\nContoso is hiring three cloud engineers for its new Leeds office."
    passages = split_passages(text)
    assert passages == ["Careers Apply now Contoso is hiring three cloud engineers for its new Leeds office."]


def test_long_sentences_are_cut_on_word_boundaries() -> None:
    sentence = "word " * 300 + "end."
    passages = split_passages(sentence, max_chars=200)
    assert all(len(p) <= 200 for p in passages)
    assert " ".join(passages).split() == sentence.split()


def test_passages_keep_every_word_in_order() -> None:
    text = (
        "Contoso Ltd. announced a partnership with Fabrikam. The deal covers 12 countries.\n\n"
        "Short.\n\nAnother paragraph that is long enough to stand as its own passage here."
    )
    passages = split_passages(text, max_chars=120)
    assert " ".join(passages).split() == text.split()
    assert all(len(p) <= 120 for p in passages)


def test_trailing_short_piece_joins_previous_passage() -> None:
    passages = split_passages("A long enough first sentence to be a passage on its own. Ok.")
    assert passages == ["A long enough first sentence to be a passage on its own. Ok."]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000), st.integers(min_value=1, max_value=1000))
def test_split_passages_never_raises_and_respects_max(text: str, max_chars: int) -> None:
    passages = split_passages(text, max_chars=max_chars)
    limit = max(max_chars, 20)
    assert all(isinstance(p, str) and p and len(p) <= limit for p in passages)


def test_passage_hash_normalises_layout_and_case() -> None:
    assert passage_hash("Contoso  is\nhiring.") == passage_hash("contoso is hiring.")
    assert passage_hash("Ｃｏｎｔｏｓｏ") == passage_hash("contoso")
    assert passage_hash("Contoso is hiring.") != passage_hash("Contoso is firing.")
    assert len(passage_hash("x")) == 64
    assert normalize_passage("  A\tB  ") == "a b"


def test_boilerplate_index_threshold_per_site() -> None:
    index = BoilerplateIndex(threshold=3)
    footer = passage_hash("Contoso Ltd. is a leading provider of logistics software.")
    news = [passage_hash(f"News item number {i} with its own text.") for i in range(3)]
    for i in range(3):
        index.add("contoso.com", [footer, news[i], footer])  # repeats on a page count once
    assert index.pages_with("contoso.com", footer) == 3
    assert index.is_boilerplate("contoso.com", footer)
    assert not any(index.is_boilerplate("contoso.com", h) for h in news)
    # Another site is counted separately.
    index.add("fabrikam.com", [footer])
    assert not index.is_boilerplate("fabrikam.com", footer)


def test_boilerplate_index_filter_and_seeded_counts() -> None:
    index = BoilerplateIndex(threshold=2)
    index.add_count("contoso.com", passage_hash("Follow us on LinkedIn."), 5)
    kept = index.filter("contoso.com", ["Follow us on LinkedIn.", "We opened an office in Leeds."])
    assert kept == ["We opened an office in Leeds."]
    with pytest.raises(ValueError):
        BoilerplateIndex(threshold=1)


def test_boilerplate_index_memory_is_bounded() -> None:
    index = BoilerplateIndex(threshold=2, max_hashes_per_site=10)
    index.add("s", [str(i) for i in range(100)])
    index.add("s", [str(i) for i in range(100)])
    assert sum(index.is_boilerplate("s", str(i)) for i in range(100)) == 10
