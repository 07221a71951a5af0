"""``security_incident`` in the default svm+kw+head: the head's P(event) as a veto, and as a
lower rescue threshold for this one type.

    python -m scripts.devtools.veto_sweep

With leave-one-source-out predictions of the head (each source scored by a head that never
saw it), prints two sweeps: svm+kw's ``security_incident`` kept only where the head gives
P(event) >= v; and svm+kw's ``none`` rescued as the head's type at P(event) >= u for
``security_incident`` (0.95 for the other types). Precision and recall on CASIE sentences
and documents, recall on breach notices and PRC, compliance recall on GDPR fines and the
share of news leads turned into breaches. A diagnostic: the thresholds are read off all
sources at once, not chosen by source, and nothing here is shipped.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.devtools import devset
from scripts.devtools.eval_real import baseline_predictions, leave_one_source_out
from scripts.devtools.fit_head import load_all
from signals.taxonomy import NONE, default_taxonomy

INCIDENT = "security_incident"
GRID = (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8)
RESCUE_GRID = (0.95, 0.93, 0.9, 0.88, 0.85, 0.8, 0.7)
FLAT = 0.95


def rescued(first: Sequence[str], joint: np.ndarray, incident_threshold: float) -> list[str]:
    labels = default_taxonomy().labels
    none = labels.index(NONE)
    masked = joint.copy()
    masked[:, none] = -1.0
    said = list(first)
    for i, best in enumerate(masked.argmax(axis=1)):
        threshold = incident_threshold if labels[best] == INCIDENT else FLAT
        if said[i] == NONE and 1.0 - joint[i, none] >= threshold:
            said[i] = labels[best]
    return said


def typed_pr(
    units: Sequence[devset.Unit], said: Sequence[str], file: str, type_id: str
) -> tuple[float, float]:
    rows = [i for i, u in enumerate(units) if u.file == file and u.view in ("row", "lead") and not u.weak]
    emitted = np.array([said[i] == type_id for i in rows], dtype=bool)
    gold = np.array([type_id in units[i].labels for i in rows], dtype=bool)
    tp = float((emitted & gold).sum())
    return tp / max(1.0, float(emitted.sum())), tp / max(1.0, float(gold.sum()))


def share(units: Sequence[devset.Unit], said: Sequence[str], file: str) -> float:
    rows = [i for i, u in enumerate(units) if u.file == file and u.view in ("row", "lead")]
    return float(np.mean([said[i] == INCIDENT for i in rows])) if rows else float("nan")


def precision_recall(
    units: Sequence[devset.Unit], first: Sequence[str], event_p: np.ndarray, file: str, veto: float
) -> tuple[float, float]:
    rows = [i for i, u in enumerate(units) if u.file == file and u.view == "row" and not u.weak]
    said = np.array([first[i] == INCIDENT and event_p[i] >= veto for i in rows], dtype=bool)
    gold = np.array([INCIDENT in units[i].labels for i in rows], dtype=bool)
    tp = float((said & gold).sum())
    return tp / max(1.0, float(said.sum())), tp / max(1.0, float(gold.sum()))


def main() -> int:
    from signals.embed import default_embedder

    if not devset.available():
        print("signals-dev data not found (../shared/data/signals-dev): nothing to measure")
        return 0
    _, example_rows, units, unit_rows = load_all(default_embedder())
    joint = leave_one_source_out(example_rows, units, unit_rows).joint
    event_p = 1.0 - joint[:, default_taxonomy().labels.index(NONE)]
    first, _ = baseline_predictions(units)
    print("| veto: head P(event) below | casie incident P | casie incident R | breach-notices R | prc R |")
    print("|---|---|---|---|---|")
    for veto in GRID:
        p, r = precision_recall(units, first, event_p, "casie-sentences", veto)
        breach = precision_recall(units, first, event_p, "breach-notices", veto)[1]
        prc = precision_recall(units, first, event_p, "prc-breaches", veto)[1]
        print(f"| {veto:.1f} | {p:.3f} | {r:.3f} | {breach:.3f} | {prc:.3f} |")
    print()
    print(
        "| rescue security_incident at P(event) ≥ | casie P | casie R | casie-documents P | "
        "casie-documents R | breach-notices R | prc R | gdpr compliance R | bbc / agnews as incident |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for threshold in RESCUE_GRID:
        said = rescued(first, joint, threshold)
        cp, cr = typed_pr(units, said, "casie-sentences", INCIDENT)
        dp, dr = typed_pr(units, said, "casie-documents", INCIDENT)
        breach = typed_pr(units, said, "breach-notices", INCIDENT)[1]
        prc = typed_pr(units, said, "prc-breaches", INCIDENT)[1]
        gdpr = typed_pr(units, said, "gdpr-fines", "compliance")[1]
        print(
            f"| {threshold:.2f} | {cp:.3f} | {cr:.3f} | {dp:.3f} | {dr:.3f} | {breach:.3f} | {prc:.3f} | "
            f"{gdpr:.3f} | {share(units, said, 'bbc'):.3f} / {share(units, said, 'agnews'):.3f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
