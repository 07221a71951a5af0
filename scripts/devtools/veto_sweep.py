"""Would the head's P(event) make svm+kw's ``security_incident`` more precise on security news?

    python -m scripts.devtools.veto_sweep

svm+kw's ``security_incident`` is kept only where the two-stage head (leave-one-source-out
predictions: each source scored by a head that never saw it) gives P(event) >= v; prints,
for v on a grid, the precision and recall on CASIE sentences and the recall on breach notices
and PRC descriptions. A diagnostic: nothing here is shipped.
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
