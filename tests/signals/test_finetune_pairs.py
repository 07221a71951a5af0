"""The pairs the encoder fine-tuning measurement trains on, and its threshold-free score."""

from __future__ import annotations

import random

import numpy as np

from scripts.devtools.finetune_encoder import (
    EVENT_VS_NONE,
    OTHER_TYPE,
    SAME_LABEL,
    Text,
    average_precision,
    pairs_of,
)
from signals.taxonomy import NONE


def _texts() -> list[Text]:
    return [
        Text("incident a", "security_incident", "news"),
        Text("incident b", "security_incident", "news"),
        Text("background a", NONE, "news"),
        Text("background b", NONE, "news"),
        Text("fine a", "compliance", "fines"),
        Text("fine b", "compliance", "fines"),
        Text("other none", NONE, "examples"),
    ]


def test_event_partners_come_from_the_same_source_when_it_has_both_sides() -> None:
    texts = _texts()
    key = {t.text: t for t in texts}
    pairs = pairs_of(texts, 4, random.Random(1))
    for left, right, target in pairs:
        if target == EVENT_VS_NONE:
            assert key[left].event != key[right].event
            if key[left].group == "news":
                assert key[right].group == "news"
        elif target == SAME_LABEL:
            assert key[left].key == key[right].key
        else:
            assert target == OTHER_TYPE
            assert key[left].key != key[right].key and key[left].event and key[right].event


def test_half_the_pairs_cross_the_event_line() -> None:
    texts = _texts()
    pairs = pairs_of(texts, 2, random.Random(2))
    crossing = sum(1 for _, _, target in pairs if target == EVENT_VS_NONE)
    assert crossing == len(texts)


def test_average_precision_ranks_events_first() -> None:
    truth = np.array([True, False, True, False])
    assert average_precision(np.array([0.9, 0.1, 0.8, 0.2]), truth) == 1.0
    assert average_precision(np.array([0.1, 0.9, 0.2, 0.8]), truth) < 0.6
    assert np.isnan(average_precision(np.array([0.5, 0.5]), np.array([True, True])))
