"""Does fine-tuning the encoder on labelled pairs (SetFit-style) beat the frozen encoder on
real text, split by source?

    nice -n 19 python -m scripts.devtools.finetune_encoder [--folds casie fintext+biotech-news]
        [--per-group 140] [--pairs-per-text 2] [--layers 2] [--threads 1] [--markdown FILE]

Rows are sampled by ``ASCENT_DEV_PER_FILE`` (default here 300 per file: a fold takes 5-15
minutes on a shared 2-core machine); the whole data set would take hours.

For every fold (a set of held-out fit-able sources; casie's sentences and documents are one
source), the packaged MiniLM is copied, all but its top ``--layers`` transformer layers are
frozen, and the rest is trained on the CPU with a cosine-similarity loss on pairs drawn from
our examples and the fold's other fit-able sources: same label → 1, two events of different
types → 0.4, event vs none → 0 (most pairs are event-vs-none, and where a source has both,
the `none` partner comes from the same source: a breach article's background sentence
against its incident sentence). The two-stage head is then refitted on the fine-tuned
embeddings exactly as ``eval_real`` fits it (leave one training source out to choose the
event threshold) and the held-out and measure-only sources are scored with eval_real's
headline metrics, beside the same procedure on the frozen encoder, same samples, same folds.
The measure-only sources (google-jobs, reuters, agnews) are never fitted on, and are scored
in every fold. Also printed: event-vs-none average precision per held-out source
(threshold-free, so a threshold chosen on sources the fine-tuned encoder has seen cannot
flatter or hide it).

Only numbers are printed; nothing is written into the product.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.devtools import devset
from scripts.devtools.eval_real import fmt, headline, leave_one_source_out
from scripts.devtools.fit_head import FIT_VIEWS, example_table, unit_table
from signals.classify import Example, embed_examples, load_examples
from signals.embed import SentenceTransformerEmbedder, default_embedder
from signals.taxonomy import NONE

# Default folds: casie alone (its event-vs-none is the hardest target), then fintext with the
# document and breach-letter sources, then the rest; every fit-able source is held out once.
DEFAULT_FOLDS = ("casie", "fintext+biotech-news+breach-notices", "prc-breaches+gdpr-fines+bbc")
SAME_LABEL, OTHER_TYPE, EVENT_VS_NONE = 1.0, 0.4, 0.0
TRAIN_MAX_TOKENS = 128
BATCH_PAIRS = 16
LEARNING_RATE = 4e-5
SEED = 15
# A quick, even spread of each file unless the caller asked for another size (devset reads it).
DEFAULT_PER_FILE = 300


@dataclass(frozen=True)
class Text:
    """One training text: its pairing key (a type, 'event' for an event of unknown or weak
    type, or 'none') and the source it came from."""

    text: str
    key: str
    group: str

    @property
    def event(self) -> bool:
        return self.key != NONE


def training_texts(
    examples: Sequence[Example],
    units: Sequence[devset.Unit],
    train_groups: Sequence[str],
    per_group: int,
    rng: random.Random,
) -> list[Text]:
    """An even sample of our examples and of each training source's fitted views."""
    out = [Text(e.text, e.label, "examples") for e in examples]
    rng.shuffle(out)
    out = out[: per_group * 3]
    for group in train_groups:
        rows = [u for u in units if u.group == group and u.view in FIT_VIEWS]
        rng.shuffle(rows)
        for u in rows[:per_group]:
            typed = len(u.labels) == 1 and not u.weak
            out.append(Text(u.text, u.labels[0] if typed else ("event" if u.event else NONE), group))
    return out


def pairs_of(texts: Sequence[Text], per_text: int, rng: random.Random) -> list[tuple[str, str, float]]:
    """SetFit-style pairs, mostly event-vs-none: each text gets ``per_text`` partners, half of
    them of the other side of the event line (from its own source when it has both sides)."""
    by_key: dict[str, list[Text]] = {}
    by_side: dict[tuple[str, bool], list[Text]] = {}
    for t in texts:
        by_key.setdefault(t.key, []).append(t)
        by_side.setdefault((t.group, t.event), []).append(t)
    events = [t for t in texts if t.event]
    nones = [t for t in texts if not t.event]
    out = []
    for t in texts:
        for k in range(per_text):
            if k % 2 == 0:  # the other side of the event line
                pool = by_side.get((t.group, not t.event)) or (nones if t.event else events)
                out.append((t.text, rng.choice(pool).text, EVENT_VS_NONE))
            elif t.event and t.key != "event" and rng.random() < 0.3:  # another type
                others = [e for e in events if e.key not in (t.key, "event")]
                if others:
                    out.append((t.text, rng.choice(others).text, OTHER_TYPE))
            else:  # same label
                out.append((t.text, rng.choice(by_key[t.key]).text, SAME_LABEL))
    rng.shuffle(out)
    return out


def finetune(
    base: SentenceTransformerEmbedder, pairs: Sequence[tuple[str, str, float]], layers: int
) -> object:
    """A copy of the base model with its top ``layers`` transformer layers (and the pooling,
    which has no weights) trained on ``pairs`` for one epoch."""
    import torch
    from sentence_transformers.losses import CosineSimilarityLoss

    model = copy.deepcopy(base.model)
    model.max_seq_length = TRAIN_MAX_TOKENS
    encoder = model[0].auto_model
    blocks = encoder.encoder.layer
    for parameter in model.parameters():
        parameter.requires_grad = False
    for block in blocks[len(blocks) - layers :]:
        for parameter in block.parameters():
            parameter.requires_grad = True
    trainable = [p for p in model.parameters() if p.requires_grad]
    loss = CosineSimilarityLoss(model)
    tokenize = getattr(model, "preprocess", None) or model.tokenize  # renamed in sentence-transformers 5
    optimiser = torch.optim.AdamW(trainable, lr=LEARNING_RATE)
    model.train()
    started = time.perf_counter()
    steps = -(-len(pairs) // BATCH_PAIRS)
    for step in range(steps):
        batch = pairs[step * BATCH_PAIRS : (step + 1) * BATCH_PAIRS]
        left = tokenize([a for a, _, _ in batch])
        right = tokenize([b for _, b, _ in batch])
        target = torch.tensor([s for _, _, s in batch], dtype=torch.float32)
        value = loss([left, right], target)
        optimiser.zero_grad()
        value.backward()
        optimiser.step()
        if step % 25 == 0 or step == steps - 1:
            print(
                f"    step {step + 1}/{steps} loss {float(value.detach()):.4f} "
                f"({time.perf_counter() - started:.0f}s)",
                file=sys.stderr,
            )
    model.eval()
    model.max_seq_length = base.model.max_seq_length
    return model


def tuned_embedder(base: SentenceTransformerEmbedder, model: object, tag: str) -> SentenceTransformerEmbedder:
    """The base embedder's padding and batching around the fine-tuned model, under its own
    name, so vector caches never mix the two encoders."""
    tuned = copy.copy(base)
    tuned._model = model  # same class, another model
    tuned._name = f"{base.name}+ft-{tag}"
    return tuned


def average_precision(score: np.ndarray, truth: np.ndarray) -> float:
    if not truth.any() or truth.all():
        return float("nan")
    order = np.argsort(-score, kind="stable")
    hits = truth[order].astype(float)
    precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision_at * hits).sum() / hits.sum())


def score_fold(
    examples: Sequence[Example],
    units: Sequence[devset.Unit],
    embedder: SentenceTransformerEmbedder,
    train_groups: Sequence[str],
) -> tuple[dict[str, float], dict[str, float]]:
    """eval_real's procedure with only ``train_groups`` fit-able: (headline metrics, event AP
    per source), on the units outside the training groups."""
    example_rows = example_table(examples, embed_examples(examples, embedder))
    unit_rows = unit_table(units, devset.embed_units(units, embedder))
    saved = devset.FITTABLE
    devset.FITTABLE = tuple(train_groups)  # type: ignore[assignment]  # the procedure reads the module's list
    try:
        predictions = leave_one_source_out(example_rows, units, unit_rows)
    finally:
        devset.FITTABLE = saved
    scored = [i for i, u in enumerate(units) if u.group not in train_groups]
    said, confidence = predictions.decide()
    subset = [units[i] for i in scored]
    metrics = headline("fold", subset, [said[i] for i in scored], confidence[scored])
    precision = {}
    for file in sorted({u.file for u in subset}):
        rows = [i for i in scored if units[i].file == file and units[i].view in ("row", "lead")]
        rows = [i for i in rows if not units[i].weak or units[i].file == "fintext"]
        truth = np.array([units[i].event for i in rows], dtype=bool)
        precision[file] = average_precision(predictions.event_p[rows], truth) if rows else float("nan")
    return metrics, precision


def held_out_metrics(fold: Sequence[str]) -> set[str]:
    """The headline metrics a fold measures (a metric of a source fitted on is not shown)."""
    about = {
        "casie": ("casie",),
        "fintext": ("fintext",),
        "breach-notices": ("breach-notices",),
        "prc-breaches": ("prc",),
        "gdpr-fines": ("gdpr",),
        "biotech-news": ("biotech",),
    }
    shown = {"jobs role acc (full)", "jobs role acc (300)", "jobs hiring share (300)"}
    for group in fold:
        for prefix in about.get(group, ()):
            shown |= {m for m in METRICS if m.startswith(prefix)}
    return shown


METRICS = (
    "casie event F1",
    "fintext event F1",
    "breach-notices incident R",
    "prc incident R",
    "casie incident R",
    "casie incident P",
    "jobs role acc (300)",
    "jobs hiring share (300)",
    "gdpr compliance R",
    "biotech doc micro-F1",
)


def run(folds: Sequence[Sequence[str]], per_group: int, per_text: int, layers: int) -> str:
    import torch

    torch.manual_seed(SEED)
    base = default_embedder()
    examples = [e for e in load_examples() if e.split == "train"]
    units = devset.load_units()
    print(f"{len(units)} units, {len(examples)} examples", file=sys.stderr)
    lines = [
        "| held out | metric | frozen | fine-tuned | Δ |",
        "|---|---|---|---|---|",
    ]
    ap_lines = ["| held out | source | event AP frozen | event AP fine-tuned |", "|---|---|---|---|"]
    for fold in folds:
        train_groups = [g for g in devset.FITTABLE if g not in fold]
        started = time.perf_counter()
        frozen, frozen_ap = score_fold(examples, units, base, train_groups)
        print(
            f"  fold {'+'.join(fold)}: frozen scored in {time.perf_counter() - started:.0f}s", file=sys.stderr
        )
        rng = random.Random(SEED)
        texts = training_texts(examples, units, train_groups, per_group, rng)
        pairs = pairs_of(texts, per_text, rng)
        tag = hashlib.blake2b(
            f"{sorted(fold)}|{per_group}|{per_text}|{layers}|{os.environ.get('ASCENT_DEV_PER_FILE')}".encode(),
            digest_size=6,
        ).hexdigest()
        print(
            f"  fold {'+'.join(fold)}: {len(texts)} texts, {len(pairs)} pairs "
            f"({sum(1 for p in pairs if p[2] == EVENT_VS_NONE)} event-vs-none), top {layers} layers",
            file=sys.stderr,
        )
        started = time.perf_counter()
        model = finetune(base, pairs, layers)
        trained = time.perf_counter() - started
        tuned, tuned_ap = score_fold(examples, units, tuned_embedder(base, model, tag), train_groups)
        print(
            f"  fold {'+'.join(fold)}: trained in {trained:.0f}s, scored in "
            f"{time.perf_counter() - started - trained:.0f}s",
            file=sys.stderr,
        )
        for metric in METRICS:
            if metric in held_out_metrics(fold):
                a, b = frozen[metric], tuned[metric]
                delta = "—" if a != a or b != b else f"{b - a:+.3f}"
                lines.append(f"| {'+'.join(fold)} | {metric} | {fmt(a)} | {fmt(b)} | {delta} |")
        for file in sorted(frozen_ap):
            if frozen_ap[file] == frozen_ap[file]:
                ap_lines.append(
                    f"| {'+'.join(fold)} | {file} | {fmt(frozen_ap[file])} | {fmt(tuned_ap[file])} |"
                )
        print("\n".join([*lines, "", *ap_lines]), file=sys.stderr, flush=True)
    return "\n".join([*lines, "", *ap_lines]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", nargs="+", default=list(DEFAULT_FOLDS), help="held-out groups, '+'-joined")
    parser.add_argument("--per-group", type=int, default=140, help="training texts per source (examples: 3x)")
    parser.add_argument("--pairs-per-text", type=int, default=2)
    parser.add_argument("--layers", type=int, default=2, help="top transformer layers trained")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the machine is shared)")
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    args = parser.parse_args(argv)
    if not devset.available():
        print("signals-dev data not found (../shared/data/signals-dev): nothing to measure")
        return 0
    import torch

    os.environ.setdefault("ASCENT_DEV_PER_FILE", str(DEFAULT_PER_FILE))
    torch.set_num_threads(max(1, args.threads))
    folds = [fold.split("+") for fold in args.folds]
    unknown = {g for fold in folds for g in fold} - set(devset.FITTABLE)
    if unknown:
        parser.error(f"not fit-able sources: {sorted(unknown)}")
    text = run(folds, args.per_group, args.pairs_per_text, args.layers)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
