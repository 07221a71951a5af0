"""How far can any event-vs-none stage on our features go on each real source?

    python -m scripts.devtools.event_ceiling [--models lr,lr_c0.1,mlp,hgb] [--in-source] [--groups casie,…]

For every fit-able source of ../shared/data/signals-dev the event stage is fitted on our
examples and the *other* fit-able sources (as ``eval_real`` fits the head's first stage), with
one model family at a time over the same features (embedding, keyword cues, event grammar),
and scored on the held-out source's judged rows without any threshold chosen elsewhere:

- AP: average precision of P(event), a ranking measure no threshold can change;
- best F1: the F1 at the threshold that is best *for that source* (an oracle: the ceiling a
  perfectly tuned threshold could reach, not a figure any shipped model gets);
- F1 at 0.5, and for sources with events only, recall at 0.5 and 0.8;
- news leads ≥ 0.5: the share of BBC and AG News leads (weak negatives) called events.

``--in-source`` adds, for casie, a fit that also sees four fifths of CASIE's own articles
(five folds grouped by article): how much of CASIE's line the features can hold once the
model has seen where CASIE draws it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.devtools import devset
from scripts.devtools.eval_real import judged_event
from scripts.devtools.fit_head import Table, fittable, load_all
from signals.embed import default_embedder

EventModel = Callable[[], object]
SCORED_GROUPS = ("casie", "fintext", "biotech-news", "breach-notices", "prc-breaches", "gdpr-fines")
NEWS_LEADS = ("bbc", "agnews")


def model_families() -> dict[str, EventModel]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    return {
        "lr": lambda: LogisticRegression(C=1.0, max_iter=400),  # the shipped head's event stage
        "lr_c0.1": lambda: LogisticRegression(C=0.1, max_iter=400),
        "mlp": lambda: MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=60, random_state=0),
        "hgb": lambda: HistGradientBoostingClassifier(max_iter=200, random_state=0),
    }


def fit_event(make: EventModel, train: Table) -> object:
    model = make()
    try:
        model.fit(train.features, train.event.astype(int), sample_weight=train.weights)  # type: ignore[attr-defined]
    except TypeError:  # MLPClassifier takes no sample weights
        model.fit(train.features, train.event.astype(int))  # type: ignore[attr-defined]
    return model


def event_p(model: object, features: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict_proba(features))[:, 1]  # type: ignore[attr-defined]


def describe(p: np.ndarray, event: np.ndarray) -> str:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    if event.all():
        return f"R@0.5 {np.mean(p >= 0.5):.3f}, R@0.8 {np.mean(p >= 0.8):.3f}"
    precision, recall, _ = precision_recall_curve(event, p)
    best = float(np.max(2 * precision * recall / np.maximum(precision + recall, 1e-9)))
    said = p >= 0.5
    at_half = 2 * float((said & event).sum()) / max(1.0, float(said.sum() + event.sum()))
    return f"AP {average_precision_score(event, p):.3f}, best F1 {best:.3f}, F1@0.5 {at_half:.3f}"


def judged_rows(units: Sequence[devset.Unit], group: str) -> list[int]:
    return [
        i for i, u in enumerate(units) if u.group == group and u.view in ("row", "lead") and judged_event(u)
    ]


def in_source_casie(
    example_rows: Table, units: Sequence[devset.Unit], unit_rows: Table, make: EventModel
) -> str:
    """CASIE scored by fits that saw the other four fifths of its articles."""
    from sklearn.model_selection import GroupKFold

    casie_fit = np.flatnonzero(fittable(unit_rows, units) & np.array([u.group == "casie" for u in units]))
    others = unit_rows.select(fittable(unit_rows, units, "casie"))
    docs = np.array([units[int(i)].doc for i in casie_fit])
    scored = judged_rows(units, "casie")
    p = np.zeros(len(units))
    for train_idx, test_idx in GroupKFold(n_splits=5).split(casie_fit, groups=docs):
        train = Table.concat(
            [example_rows, others, unit_rows.select(np.isin(np.arange(len(units)), casie_fit[train_idx]))]
        )
        held_docs = set(docs[test_idx])
        rows = [i for i in scored if units[i].doc in held_docs]
        p[rows] = event_p(fit_event(make, train), unit_rows.features[rows])
    parts = []
    for file in ("casie-sentences", "casie-documents"):
        rows = [i for i in scored if units[i].file == file]
        parts.append(f"{file}: {describe(p[rows], np.array([units[i].event for i in rows]))}")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lr,lr_c0.1,mlp,hgb")
    parser.add_argument("--in-source", action="store_true", help="also fit casie with its own other articles")
    parser.add_argument("--groups", default=",".join(SCORED_GROUPS), help="held-out sources to score")
    args = parser.parse_args(argv)
    if not devset.available():
        print("signals-dev data not found; nothing to measure", file=sys.stderr)
        return 0
    families = model_families()
    _, example_rows, units, unit_rows = load_all(default_embedder())
    news = [i for i, u in enumerate(units) if u.group in NEWS_LEADS and u.view == "lead"]
    present = {u.group for u in units}
    for group in [g for g in args.groups.split(",") if g in present]:
        train = Table.concat([example_rows, unit_rows.select(fittable(unit_rows, units, group))])
        rows = judged_rows(units, group)
        files = np.array([units[i].file for i in rows])
        event = np.array([units[i].event for i in rows])
        for name in args.models.split(","):
            started = time.perf_counter()
            model = fit_event(families[name], train)
            p = event_p(model, unit_rows.features[rows])
            parts = [f"{f}: {describe(p[files == f], event[files == f])}" for f in sorted(set(files))]
            leads = float(np.mean(event_p(model, unit_rows.features[news]) >= 0.5)) if news else float("nan")
            print(
                f"{group:15s} {name:8s} {time.perf_counter() - started:4.0f}s  "
                + "; ".join(parts)
                + f"; news leads >= 0.5: {leads:.3f}",
                flush=True,
            )
        if group == "casie" and args.in_source:
            for name in args.models.split(","):
                scores = in_source_casie(example_rows, units, unit_rows, families[name])
                print(f"{'casie in-source':15s} {name:8s}       {scores}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
