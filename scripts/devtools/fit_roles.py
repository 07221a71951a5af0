"""Measure the job-title stage (signals/role_model.py) on the dev set's job ads and write
its shipped parameters: the confidence of each hiring type (signals/role_model.npz, numbers
only, never text).

The type comes from the word rules of signals/roles.py, which were written from the
taxonomy and the README's label rules, not fitted. Their precision per type on the real ads
is the confidence shipped. ``--model`` also measures the alternative that was tried: a
multinomial logistic regression over the title's words, bigrams and rule family, fitted on
the ads. The dev set has one job-ad source (google-jobs: one employer's ads, typed by the
README's category rule), so instead of leaving a source out it is split two ways:

- ``category``: each job category (Finance, Partnerships, Hardware Engineering ...) is held
  out in turn and typed by a model fitted on the other categories: the model never saw the
  family of jobs it types (the honest split for ads from other employers);
- ``title``: five folds with every copy of a title in one fold (roles the model has seen
  in other teams and places of the same employer).

    python -m scripts.devtools.fit_roles [--model] [--write]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from signals.role_model import CONFIDENCE_PATH, NONE
from signals.roles import is_role_title, normal_title, role_family

DEV_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "signals-dev"
JOB_FILE = "google-jobs.jsonl"
CLASSES = (NONE, "hiring_tech", "hiring_security", "hiring_sales", "hiring_finance")
TITLE_FOLDS = 5
_STOP_WORDS = frozenset({"and", "of", "the", "for", "in", "to", "with", "on", "at", "or"})


@dataclass(frozen=True)
class Ad:
    title: str
    label: str  # a hiring type or NONE (a role the taxonomy has no type for)
    category: str


def load_ads(folder: Path = DEV_DIR) -> list[Ad]:
    ads = []
    with open(folder / JOB_FILE, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            label = str(row["labels"][0]) if row.get("labels") else NONE
            category = str(row.get("note", "")).removeprefix("category: ").split(";")[0].strip()
            title = str(row["text"]).split("\n", 1)[0].strip().rstrip(".")
            ads.append(Ad(title, label if label in CLASSES else NONE, category))
    return ads


def title_features(title: str) -> list[str]:
    """Rule family (or an untyped role, or no role), words and word pairs of a title."""
    family = role_family(title)
    rule = family if family is not None else ("untyped_role" if is_role_title(title) else "no_role")
    words = [w.strip(".") for w in normal_title(title).split()]
    words = [w for w in words if len(w) >= 2 and w not in _STOP_WORDS]
    pairs = [f"b:{a} {b}" for a, b in itertools.pairwise(words)]
    return [f"rule:{rule}", *(f"w:{w}" for w in words), *pairs]


def _matrix(ads: Sequence[Ad], index: dict[str, int]) -> Any:
    from scipy.sparse import csr_matrix

    cells = [(row, index[f]) for row, ad in enumerate(ads) for f in title_features(ad.title) if f in index]
    return csr_matrix(
        (np.ones(len(cells)), ([r for r, _ in cells], [c for _, c in cells])), shape=(len(ads), len(index))
    )


def model_held_out(ads: Sequence[Ad], group_of: Callable[[Ad], str], c: float) -> list[str]:
    """Each ad typed by a logistic regression fitted on the ads outside its group."""
    from sklearn.linear_model import LogisticRegression

    said = [NONE] * len(ads)
    for group in sorted({group_of(ad) for ad in ads}):
        fit_ads = [ad for ad in ads if group_of(ad) != group]
        index = {f: i for i, f in enumerate(sorted({f for ad in fit_ads for f in title_features(ad.title)}))}
        model = LogisticRegression(C=c, max_iter=1000)
        model.fit(_matrix(fit_ads, index), [ad.label for ad in fit_ads])
        rows = [i for i, ad in enumerate(ads) if group_of(ad) == group]
        for i, label in zip(rows, model.predict(_matrix([ads[i] for i in rows], index)), strict=True):
            said[i] = str(label)
    return said


def title_fold(ad: Ad) -> str:
    return str(zlib.crc32(normal_title(ad.title).encode()) % TITLE_FOLDS)


def accuracy(ads: Sequence[Ad], said: Sequence[str]) -> float:
    return sum(a.label == s for a, s in zip(ads, said, strict=True)) / max(len(ads), 1)


def precision_by_class(ads: Sequence[Ad], said: Sequence[str]) -> np.ndarray:
    """Share of the ads given each type that had it (Laplace-smoothed: a type given rarely
    is not trusted fully)."""
    given = Counter(said)
    right = Counter(s for a, s in zip(ads, said, strict=True) if a.label == s)
    return np.array([(right[k] + 1) / (given[k] + 2) for k in CLASSES], dtype=np.float32)


def report(name: str, ads: Sequence[Ad], said: Sequence[str]) -> None:
    typed = [(a, s) for a, s in zip(ads, said, strict=True) if a.label != NONE]
    typed_right = sum(a.label == s for a, s in typed) / max(len(typed), 1)
    print(
        f"{name}: accuracy {accuracy(ads, said):.3f} on {len(ads)} ads; "
        f"{typed_right:.3f} on {len(typed)} typed ads"
    )
    for k in CLASSES:
        tp = sum(a.label == k and s == k for a, s in zip(ads, said, strict=True))
        p = tp / max(sum(s == k for s in said), 1)
        r = tp / max(sum(a.label == k for a in ads), 1)
        print(f"    {k:16s} P {p:.3f} R {r:.3f} (n={sum(a.label == k for a in ads)})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="store_true", help="also measure the fitted title model")
    parser.add_argument("--c", type=float, default=1.0, help="its inverse L2 strength (fixed a priori)")
    parser.add_argument("--write", action="store_true", help=f"write {CONFIDENCE_PATH.name}")
    args = parser.parse_args(argv)
    if not (DEV_DIR / JOB_FILE).exists():
        print("signals-dev job ads not found; nothing to measure", file=sys.stderr)
        return 0
    ads = load_ads()
    print(f"{len(ads)} ads, {len({a.category for a in ads})} categories")
    by_rules = [role_family(a.title) or NONE for a in ads]
    report("word rules (signals/roles.py, shipped)", ads, by_rules)
    if args.model:
        for split, group_of in (("category", lambda ad: ad.category), ("title", title_fold)):
            said = model_held_out(ads, group_of, args.c)
            report(f"title model (C={args.c}), {split} held out", ads, said)
            rule_first = [rule if rule != NONE else s for rule, s in zip(by_rules, said, strict=True)]
            report(f"rules, else the title model, {split} held out", ads, rule_first)
    precision = precision_by_class(ads, by_rules)
    print("confidence by type:", {k: round(float(p), 3) for k, p in zip(CLASSES, precision, strict=True)})
    if args.write:
        np.savez_compressed(CONFIDENCE_PATH, classes=np.array(CLASSES), precision=precision)
        print(f"wrote {CONFIDENCE_PATH} ({CONFIDENCE_PATH.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
