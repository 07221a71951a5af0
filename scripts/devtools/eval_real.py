"""The passage classifier on real, independently labelled text (../shared/data/signals-dev).

    python -m scripts.devtools.eval_real [--markdown FILE] [--baseline]

Split by source: every fit-able source is scored by a head fitted on our examples and the
OTHER fit-able sources (leave one source out; casie's sentences and documents are one
source), and its event threshold is chosen on the other sources' predictions. The
measure-only sources (google-jobs, reuters, agnews) are scored by the head fitted on every
fit-able source, i.e. the shipped one. Precision and recall count ``weak: false`` rows only,
except the event-vs-none flag of fintext (the source's own event/non-event judgement).
``--baseline`` also scores svm+kw fitted on our examples only, and the default svm+kw+head
(svm+kw, then the head's leave-one-source-out predictions where svm+kw says none and
P(event) >= RESCUE_EVENT_THRESHOLD of signals/classify.py).

Units: a sentence or paragraph as itself; a document as its title + first paragraph
("lead"); a job ad also as its first 300 characters and as its whole text; a biotech-news
article also as every paragraph, with a max-over-passages rule (the document has each type
that any of its passages or its lead is emitted as).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.devtools import devset, rescue_fit
from scripts.devtools.fit_head import Table, best_event_threshold, fit, fittable, load_all
from signals.classify import (
    RESCUE_EVENT_THRESHOLD,
    RESCUED_METHOD,
    decide_two_stage,
    expected_calibration_error,
)
from signals.eventcues import NAMES as GRAMMAR_NAMES
from signals.taxonomy import NONE, default_taxonomy

ALL_SOURCES = "*"


@dataclass
class Predictions:
    """Joint label probabilities per unit, each from a head that never saw its source, and
    the event threshold each unit is decided with."""

    joint: np.ndarray
    threshold: np.ndarray

    @property
    def event_p(self) -> np.ndarray:
        return 1.0 - self.joint[:, default_taxonomy().labels.index(NONE)]

    def event_by_source(
        self, units: Sequence[devset.Unit], groups: Sequence[str]
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """(event probability, event flag) of each group's fitted views with a judged flag
        (and of the weak negative proxies)."""
        out = {}
        for group in groups:
            rows = [
                i
                for i, u in enumerate(units)
                if u.group == group and (judged_event(u) or u.group in devset.NEGATIVE_PROXY)
            ]
            rows = [i for i in rows if units[i].view in ("row", "lead")]
            if rows:
                out[group] = (self.event_p[rows], np.array([units[i].event for i in rows]))
        return out

    def decide(self) -> tuple[list[str], np.ndarray]:
        labels = default_taxonomy().labels
        decided = [
            decide_two_stage(self.joint[i : i + 1], labels, float(self.threshold[i]))[0]
            for i in range(len(self.joint))
        ]
        return [p.label for p in decided], np.array([p.confidence for p in decided])


def per_type_rescue(
    units: Sequence[devset.Unit], joint: np.ndarray, first: tuple[list[str], np.ndarray]
) -> tuple[list[str], np.ndarray, dict[str, rescue_fit.RescueChoice]]:
    """svm+kw, then the head at per-type rescue thresholds and its event temperature, each
    source decided with a choice made on the other fit-able sources' predictions (the
    measure-only sources with the choice made on every fit-able source, the shipped one)."""
    groups = np.array([u.group for u in units])
    present = [g for g in devset.FITTABLE if (groups == g).any()]
    fitted = np.isin(groups, present)
    said, confidence = list(first[0]), first[1].copy()
    choices = {}
    for held_out in [*present, ALL_SOURCES]:
        target = ~fitted if held_out == ALL_SOURCES else groups == held_out
        choice = rescue_fit.choose(units, joint, first[0], fitted & (groups != held_out))
        choices[held_out] = choice
        idx = np.flatnonzero(target)
        part, part_confidence = rescue_fit.rescued_labels(
            joint[idx], [first[0][i] for i in idx], first[1][idx], choice
        )
        for k, i in enumerate(idx):
            said[i], confidence[i] = part[k], part_confidence[k]
    return said, confidence, choices


def write_rescue(choice: rescue_fit.RescueChoice) -> None:
    """The choice made on every fit-able source, into the shipped head; the event threshold
    is carried over to the calibrated scale, so the head alone decides as before."""
    from signals.head import TwoStageHead, shipped_head_path

    path = shipped_head_path()
    head = TwoStageHead.load(path)
    before = rescue_fit.uncalibrated_threshold(head.event_threshold, head.event_temperature)
    head.event_threshold = rescue_fit.calibrated_threshold(before, choice.temperature)
    head.event_temperature = choice.temperature
    head.rescue_thresholds = dict(choice.thresholds)
    head.save(path)
    print(f"wrote {path}: event temperature {choice.temperature:.3f}, rescue {choice.thresholds}")


def judged_event(unit: devset.Unit) -> bool:
    return not unit.weak or unit.file == "fintext"


def leave_one_source_out(
    example_rows: Table, units: Sequence[devset.Unit], unit_rows: Table, *, use_real: bool = True
) -> Predictions:
    labels = default_taxonomy().labels
    joint = np.zeros((len(units), len(labels)))
    groups = np.array([u.group for u in units])
    present = [g for g in devset.FITTABLE if (groups == g).any()]
    if not use_real:  # one head, fitted on our examples only, never saw any source
        joint[:] = fit(example_rows).joint(unit_rows.features)
    for held_out in [*present, ALL_SOURCES] if use_real else []:
        train = Table.concat([example_rows, unit_rows.select(fittable(unit_rows, units, held_out))])
        target = ~np.isin(groups, present) if held_out == ALL_SOURCES else groups == held_out
        if target.any():
            joint[target] = fit(train).joint(unit_rows.features[target])
        print(f"  fold without {held_out}: {int(target.sum())} units scored", file=sys.stderr)
    predictions = Predictions(joint, np.zeros(len(units)))
    for held_out in [*present, ALL_SOURCES]:
        others = [g for g in present if g != held_out]
        threshold = best_event_threshold(predictions.event_by_source(units, others))
        target = ~np.isin(groups, present) if held_out == ALL_SOURCES else groups == held_out
        predictions.threshold[target] = threshold
    return predictions


# ----------------------------------------------------------------------------- metrics


def prf(tp: int, predicted: int, actual: int) -> tuple[float, float, float]:
    precision = tp / predicted if predicted else float("nan")
    recall = tp / actual if actual else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if predicted and actual and tp else 0.0
    return precision, recall, f1


def fmt(x: float) -> str:
    return "—" if x != x else f"{x:.3f}"


@dataclass
class SourceRow:
    file: str
    view: str
    rows: int
    events: int
    event_p: float
    event_r: float
    event_f1: float
    emitted_share: float
    ece: float


def source_rows(units: Sequence[devset.Unit], said: Sequence[str], confidence: np.ndarray) -> list[SourceRow]:
    out = []
    keys = sorted({(u.file, u.view) for u in units if u.view != "passage"})
    for file, view in keys:
        every = [i for i, u in enumerate(units) if u.file == file and u.view == view]
        idx = [i for i in every if judged_event(units[i])]
        event = np.array([units[i].event for i in idx], dtype=bool)
        emitted = np.array([said[i] != NONE for i in idx], dtype=bool)
        p, r, f = prf(int((event & emitted).sum()), int(emitted.sum()), int(event.sum()))
        scored = [i for i in idx if not units[i].weak and (units[i].labels or not units[i].event)]
        correct = np.array(
            [said[i] in units[i].labels if units[i].labels else said[i] == NONE for i in scored], dtype=float
        )
        ece = expected_calibration_error(confidence[scored], correct) if scored else float("nan")
        share = float(np.mean([said[i] != NONE for i in every]))
        out.append(SourceRow(file, view, len(every), int(event.sum()), p, r, f, share, ece))
    return out


def type_rows(
    units: Sequence[devset.Unit], said: Sequence[str], views: Sequence[str] = ("row", "lead", "full")
) -> list[tuple[str, str, str, int, float, float, float]]:
    """(file, view, type, rows with the type, precision, recall, F1) on weak: false rows."""
    out = []
    for file, view in sorted({(u.file, u.view) for u in units if u.view in views}):
        idx = [i for i, u in enumerate(units) if u.file == file and u.view == view and not u.weak]
        types = sorted({t for i in idx for t in units[i].labels})
        for t in types:
            tp = sum(1 for i in idx if said[i] == t and t in units[i].labels)
            predicted = sum(1 for i in idx if said[i] == t)
            actual = sum(1 for i in idx if t in units[i].labels)
            out.append((file, view, t, actual, *prf(tp, predicted, actual)))
    return out


def role_typing(units: Sequence[devset.Unit], said: Sequence[str], view: str) -> tuple[float, float, int]:
    """Job ads: accuracy of the hiring type on ads of a typed role, and the share of all ads
    emitted as any hiring_* type."""
    idx = [i for i, u in enumerate(units) if u.file == "google-jobs" and u.view == view]
    typed = [i for i in idx if units[i].labels]
    accuracy = float(np.mean([said[i] in units[i].labels for i in typed])) if typed else float("nan")
    hiring = float(np.mean([said[i].startswith("hiring_") for i in idx])) if idx else float("nan")
    return accuracy, hiring, len(typed)


def max_over_passages(
    units: Sequence[devset.Unit], said: Sequence[str], file: str
) -> tuple[float, float, float]:
    """Document-level micro precision/recall/F1 over (document, type) pairs, where a document
    has every type emitted for its lead or any of its passages."""
    truth: dict[str, set[str]] = {}
    emitted: dict[str, set[str]] = {}
    for i, u in enumerate(units):
        if u.file != file or u.weak or u.view not in ("lead", "passage"):
            continue
        truth.setdefault(u.doc, set()).update(u.labels)
        if said[i] != NONE:
            emitted.setdefault(u.doc, set()).add(said[i])
    tp = sum(len(truth[d] & emitted.get(d, set())) for d in truth)
    predicted = sum(len(emitted.get(d, set())) for d in truth)
    actual = sum(len(t) for t in truth.values())
    return prf(tp, predicted, actual)


def headline(
    name: str, units: Sequence[devset.Unit], said: Sequence[str], confidence: np.ndarray
) -> dict[str, float]:
    """The figures the targets are stated in."""
    rows = {(r.file, r.view): r for r in source_rows(units, said, confidence)}
    types = {(f, v, t): (p, r, f1) for f, v, t, _, p, r, f1 in type_rows(units, said)}

    def recall(file: str, view: str = "row") -> float:
        return types.get((file, view, "security_incident"), (0.0, float("nan"), 0.0))[1]

    accuracy, _, _ = role_typing(units, said, "full")
    accuracy300, hiring300, _ = role_typing(units, said, "head300")
    return {
        "casie event F1": rows[("casie-sentences", "row")].event_f1
        if ("casie-sentences", "row") in rows
        else 0.0,
        "fintext event F1": rows[("fintext", "row")].event_f1 if ("fintext", "row") in rows else 0.0,
        "breach-notices incident R": recall("breach-notices"),
        "prc incident R": recall("prc-breaches"),
        "casie incident R": recall("casie-sentences"),
        "casie incident P": types.get(("casie-sentences", "row", "security_incident"), (0.0, 0.0, 0.0))[0],
        "jobs role acc (full)": accuracy,
        "jobs role acc (300)": accuracy300,
        "jobs hiring share (300)": hiring300,
        "gdpr compliance R": types.get(("gdpr-fines", "row", "compliance"), (0.0, float("nan"), 0.0))[1],
        "biotech doc micro-F1": max_over_passages(units, said, "biotech-news")[2],
    }


def markdown(
    summary: dict[str, dict[str, float]],
    units: Sequence[devset.Unit],
    said: Sequence[str],
    confidence: np.ndarray,
) -> str:
    metrics = list(next(iter(summary.values())))
    lines = ["| approach | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    for name, values in summary.items():
        lines.append(f"| {name} | " + " | ".join(fmt(values[m]) for m in metrics) + " |")
    lines += [
        "",
        "| source | unit | rows | judged events | event P | event R | event F1 | emitted as signal | ECE |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in source_rows(units, said, confidence):
        lines.append(
            f"| {row.file} | {row.view} | {row.rows} | {row.events} | {fmt(row.event_p)} | "
            f"{fmt(row.event_r)} | {fmt(row.event_f1)} | {row.emitted_share:.3f} | {fmt(row.ece)} |"
        )
    lines += [
        "",
        "| source | unit | type | rows | precision | recall | F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for file, view, t, n, p, r, f in type_rows(units, said):
        lines.append(f"| {file} | {view} | {t} | {n} | {fmt(p)} | {fmt(r)} | {fmt(f)} |")
    p, r, f = max_over_passages(units, said, "biotech-news")
    lines += [
        "",
        f"biotech-news, max over lead + passages (document level): micro P {fmt(p)} R {fmt(r)} F1 {fmt(f)}",
    ]
    for view in ("full", "head300", "lead"):
        accuracy, hiring, n = role_typing(units, said, view)
        lines.append(
            f"google-jobs {view}: role typing accuracy {fmt(accuracy)} on {n} typed ads; "
            f"{hiring:.3f} of all ads emitted as hiring_*"
        )
    return "\n".join(lines) + "\n"


def baseline_predictions(units: Sequence[devset.Unit]) -> tuple[list[str], np.ndarray]:
    from signals.classify import embed_examples, fit_classifier, load_examples
    from signals.embed import default_embedder

    embedder = default_embedder()
    train = [e for e in load_examples() if e.split == "train"]
    classifier = fit_classifier(train, embed_examples(train, embedder), method="svm+kw")
    predicted = classifier.predict(devset.embed_units(units, embedder), [u.text for u in units])
    return [p.label for p in predicted], np.array([p.confidence for p in predicted])


def main(argv: list[str] | None = None) -> int:
    from signals.embed import default_embedder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", default=None, help="also write the tables to this file")
    parser.add_argument("--baseline", action="store_true", help="also score the previous classifier")
    parser.add_argument(
        "--ablate-grammar", action="store_true", help="also score the head without event-grammar features"
    )
    parser.add_argument(
        "--write-rescue",
        action="store_true",
        help="write the rescue thresholds and event temperature chosen on every fit-able source "
        "into the shipped head (signals/head.npz; its weights stay); implies --baseline",
    )
    args = parser.parse_args(argv)
    args.baseline = args.baseline or args.write_rescue
    if not devset.available():
        print("signals-dev data not found (../shared/data/signals-dev): nothing to measure")
        return 0
    _, example_rows, units, unit_rows = load_all(default_embedder())
    summary: dict[str, dict[str, float]] = {}
    previous = baseline_predictions(units) if args.baseline else None
    if previous is not None:
        summary["svm+kw on our examples (previous)"] = headline("previous", units, *previous)
    own = leave_one_source_out(example_rows, units, unit_rows, use_real=False)
    said, confidence = own.decide()
    summary["two-stage head, our examples only"] = headline("own", units, said, confidence)
    if args.ablate_grammar:  # the same head without the event-grammar indicators
        grammar = slice(-len(GRAMMAR_NAMES), None)
        for rows in (example_rows, unit_rows):
            rows.features[:, grammar] = 0.0
        plain = leave_one_source_out(example_rows, units, unit_rows)
        said, confidence = plain.decide()
        summary["head without event-grammar features, examples + real"] = headline(
            "plain", units, said, confidence
        )
        _, example_rows, units, unit_rows = load_all(default_embedder())
    real = leave_one_source_out(example_rows, units, unit_rows)
    if previous is not None:  # svm+kw, then the head where svm+kw says none and the head is sure
        sure = Predictions(real.joint, np.full(len(units), RESCUE_EVENT_THRESHOLD))
        rescued, rescued_confidence = sure.decide()
        said_u = [b if b != NONE else r for b, r in zip(previous[0], rescued, strict=True)]
        confidence_u = np.where([b != NONE for b in previous[0]], previous[1], rescued_confidence)
        summary[f"svm+kw, then head ≥ {RESCUE_EVENT_THRESHOLD} ({RESCUED_METHOD})"] = headline(
            "union", units, said_u, confidence_u
        )
        said_t, confidence_t, choices = per_type_rescue(units, real.joint, previous)
        summary["svm+kw, then head at per-type thresholds, calibrated"] = headline(
            "per-type", units, said_t, confidence_t
        )
        for held_out, choice in choices.items():
            moved = {t: v for t, v in choice.thresholds.items() if v != choice.flat}
            print(
                f"  rescue choice without {held_out}: T {choice.temperature:.3f}, "
                f"flat {choice.flat:.3f}, per type {moved}",
                file=sys.stderr,
            )
        if args.write_rescue:
            write_rescue(choices[ALL_SOURCES])
        if args.markdown:
            Path(args.markdown + ".per-type.md").write_text(
                markdown(summary, units, said_t, confidence_t), encoding="utf-8"
            )
        if args.markdown:  # the default's own per-source tables
            Path(args.markdown + ".default.md").write_text(
                markdown(summary, units, said_u, confidence_u), encoding="utf-8"
            )
    said, confidence = real.decide()
    summary["two-stage head, examples + other real sources (shipped)"] = headline(
        "real", units, said, confidence
    )
    text = markdown(summary, units, said, confidence)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
