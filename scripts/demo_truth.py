"""How the signals found compare with what the fixture web planted (its ground truth).

A planted signal counts as found when a signal of the same customer and type holds most of the
planted sentence's words (passages may split or join sentences). An emitted signal is
"unplanted" when it matches no planted sentence of that customer at all.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from storage.store import Store

MATCH_SHARE = 0.6
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def matches(planted: str, passage: str) -> bool:
    wanted = words(planted)
    return bool(wanted) and len(wanted & words(passage)) / len(wanted) >= MATCH_SHARE


async def compare_with_truth(store: Store, truth: dict[str, Any]) -> dict[str, Any]:
    planted_by_customer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for planted in truth["signals"]:
        if planted.get("robots_allowed", True) and planted["date"] <= truth["now"]:
            planted_by_customer[planted["customer_id"]].append(planted)
    found: Counter[str] = Counter()
    wrong_type: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    unplanted: Counter[str] = Counter()
    emitted = 0
    for customer_id in {c.customer_id for c in await store.customers.all()}:
        signals = await store.signals.by_customer(customer_id)
        planted = planted_by_customer.get(customer_id, [])
        emitted += len(signals)
        for item in planted:
            expected[item["signal_type"]] += 1
            hits = [s for s in signals if matches(item["text"], s.passage)]
            if any(s.signal_type == item["signal_type"] for s in hits):
                found[item["signal_type"]] += 1
            elif hits:
                wrong_type[item["signal_type"]] += 1
        for signal in signals:
            if not any(matches(item["text"], signal.passage) for item in planted):
                unplanted[signal.signal_type] += 1
    total_expected = sum(expected.values())
    return {
        "planted": total_expected,
        "found_with_right_type": sum(found.values()),
        "recall": round(sum(found.values()) / total_expected, 3) if total_expected else None,
        "emitted": emitted,
        "unplanted": sum(unplanted.values()),
        "unplanted_share": round(sum(unplanted.values()) / emitted, 3) if emitted else None,
        "by_type": {
            t: {
                "planted": expected[t],
                "found": found[t],
                "wrong_type": wrong_type[t],
                "unplanted": unplanted[t],
            }
            for t in sorted(set(expected) | set(unplanted))
        },
    }
