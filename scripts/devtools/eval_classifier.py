"""Compare classifier approaches on the fixed evaluation split of the labelled examples.

Every approach is fitted on the training split only (its temperature and per-type thresholds
come from cross-validation on the training split); the evaluation split is scored once. The
row ``head`` is the shipped two-stage head (signals/head.npz), fitted by scripts/devtools/fit_head.py on
the training split and real text, never on the evaluation split.

    python scripts/devtools/eval_classifier.py [--examples DIR] [--methods a,b,...] [--markdown FILE]
    python scripts/devtools/eval_classifier.py --fixture-web N [--variants svm+kw,head@0.5,svm+kw+head@0.9]

Reports per approach: macro-F1 over the 18 signal types and ``none``, none-vs-signal precision
and recall, expected calibration error (ECE), fit time; then per-type F1 and the reliability
curve of the best fitted approach (the one with the highest macro-F1).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from signals.classify import (
    HEAD_METHOD,
    METHODS,
    RESCUED_METHOD,
    Example,
    SignalClassifier,
    embed_examples,
    expected_calibration_error,
    fit_classifier,
    get_classifier,
    load_examples,
    reliability,
)
from signals.embed import Embedder, default_embedder, load_embedder
from signals.settings import SignalSettings
from signals.taxonomy import NONE, default_taxonomy


@dataclass
class Result:
    method: str
    macro_f1: float
    signal_precision: float
    signal_recall: float
    accuracy: float
    ece: float
    fit_s: float
    per_type: dict[str, float]
    curve: list[tuple[float, float, float, int]]


def f1_per_label(truth: list[str], predicted: list[str], labels: tuple[str, ...]) -> dict[str, float]:
    scores = {}
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != label and p == label)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores[label] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return scores


def evaluate(classifier: SignalClassifier, eval_examples: list[Example], vectors: np.ndarray) -> tuple:
    predictions = classifier.predict(vectors, [e.text for e in eval_examples])
    truth = [e.label for e in eval_examples]
    predicted = [p.label for p in predictions]
    per_type = f1_per_label(truth, predicted, classifier.labels)
    said_signal = [p != NONE for p in predicted]
    is_signal = [t != NONE for t in truth]
    tp = sum(1 for s, t in zip(said_signal, is_signal, strict=True) if s and t)
    precision = tp / max(1, sum(said_signal))
    recall = tp / max(1, sum(is_signal))
    confidence = np.array([p.confidence for p in predictions])
    correct = np.array([p == t for p, t in zip(predicted, truth, strict=True)], dtype=np.float64)
    accuracy = float(correct.mean()) if len(correct) else 0.0
    return per_type, precision, recall, accuracy, confidence, correct


def run(
    examples_dir: str | None, methods: list[str], variants: list[tuple[str, float]]
) -> tuple[list[Result], int, int]:
    """Each method with the default thresholds (F1-optimal per type on cross-validation, at
    least 0.5); then the threshold variants of the best method."""
    taxonomy = default_taxonomy()
    examples = load_examples(examples_dir)
    train = [e for e in examples if e.split == "train"]
    held_out = [e for e in examples if e.split == "eval"]
    embedder = default_embedder()
    train_vectors = embed_examples(train, embedder)
    eval_vectors = embed_examples(held_out, embedder)

    def one(method: str, policy: str, floor: float, name: str) -> Result:
        started = time.perf_counter()
        if method == HEAD_METHOD:  # shipped, fitted on the training split + real text
            classifier = get_classifier(embedder, method=HEAD_METHOD)
        else:
            classifier = fit_classifier(
                train,
                train_vectors,
                method=method,
                taxonomy=taxonomy,
                threshold_policy=policy,
                min_confidence=floor,
            )
        fit_s = time.perf_counter() - started
        per_type, precision, recall, accuracy, confidence, correct = evaluate(
            classifier, held_out, eval_vectors
        )
        result = Result(
            method=name,
            macro_f1=float(np.mean(list(per_type.values()))),
            signal_precision=precision,
            signal_recall=recall,
            accuracy=accuracy,
            ece=expected_calibration_error(confidence, correct),
            fit_s=fit_s,
            per_type=per_type,
            curve=reliability(confidence, correct),
        )
        print(
            f"{name:36s} macro-F1 {result.macro_f1:.3f}  signal precision {precision:.3f}"
            f"  recall {recall:.3f}  ECE {result.ece:.3f}  fit {fit_s:.1f}s",
            file=sys.stderr,
        )
        return result

    results = [one(m, "f1", 0.5, m) for m in methods]
    best = max((r for r in results if r.method != HEAD_METHOD), key=lambda r: r.macro_f1).method
    for policy, floor in variants:
        results.append(one(best, policy, floor, f"{best}, thresholds {policy} ≥{floor:.2f}"))
    return results, len(train), len(held_out)


def markdown(results: list[Result], n_train: int, n_eval: int) -> str:
    best = max((r for r in results if "thresholds" not in r.method), key=lambda r: r.macro_f1)
    lines = [
        f"Training examples: {n_train}; evaluation examples (held out): {n_eval}.",
        "",
        "| approach | macro-F1 | none-vs-signal precision | signal recall | accuracy | ECE | fit s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        mark = " **(best)**" if r is best else ""
        lines.append(
            f"| {r.method}{mark} | {r.macro_f1:.3f} | {r.signal_precision:.3f} | "
            f"{r.signal_recall:.3f} | {r.accuracy:.3f} | {r.ece:.3f} | {r.fit_s:.1f} |"
        )
    lines += ["", f"Per-type F1 of {best.method}:", "", "| type | F1 |", "|---|---|"]
    lines += [f"| {label} | {score:.3f} |" for label, score in best.per_type.items()]
    lines += [
        "",
        f"Reliability of {best.method} (confidence of the emitted label vs. accuracy):",
        "",
        "| confidence bin | accuracy | n |",
        "|---|---|---|",
    ]
    lines += [f"| {lo:.1f}–{hi:.1f} | {acc:.3f} | {n} |" for lo, hi, acc, n in best.curve]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", default=None, help="examples folder (default: bundled)")
    parser.add_argument("--methods", default=",".join([*METHODS, HEAD_METHOD]))
    parser.add_argument("--markdown", default=None, help="also write the tables to this file")
    parser.add_argument(
        "--fixture-web",
        type=int,
        default=0,
        metavar="N",
        help="instead: classify the pages of a fixture web of N companies and compare with its "
        "planted signals",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--variants",
        default="",
        help="with --fixture-web: classifiers to compare on the same pages in one process, "
        "comma-separated: a method ('svm+kw'), 'head@T' (the head alone at event threshold T) "
        "or 'svm+kw+head@T' (rescue at P(event) >= T for every type); default: the settings'",
    )
    parser.add_argument(
        "--head", default="", help="with --fixture-web: a head file to measure instead of signals/head.npz"
    )
    args = parser.parse_args(argv)
    if args.fixture_web:
        import asyncio

        if args.head:
            import signals.head

            head_file = Path(args.head)
            signals.head.shipped_head_path = lambda: head_file  # read by get_classifier

        variants = [v.strip() for v in args.variants.split(",") if v.strip()] or [""]
        outcomes = asyncio.run(fixture_web(args.fixture_web, args.seed, variants, args.examples))
        for variant, outcome in zip(variants, outcomes, strict=True):
            print(
                f"fixture web ({args.fixture_web} companies, seed {args.seed}) "
                f"[{variant or 'settings'}]: "
                f"{outcome['documents']} pages, {outcome['planted']} planted signals, "
                f"{outcome['found_right_type']:.1%} found with the right type; "
                f"{outcome['emitted']} emitted, {outcome['not_planted']:.1%} not planted",
                flush=True,
            )
        return 0
    variants = [("f1", 0.3), ("f1", 0.0), ("precision", 0.5)]
    results, n_train, n_eval = run(args.examples, args.methods.split(","), variants)
    text = markdown(results, n_train, n_eval)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0


# ----------------------------------------------------------------------------- fixture web


def _words(text: str) -> set[str]:
    return {w for w in "".join(c.lower() if c.isalnum() else " " for c in text).split() if len(w) > 2}


def _same_text(planted: str, passage: str) -> bool:
    a, b = _words(planted), _words(passage)
    return bool(a) and len(a & b) / len(a) >= 0.6


class _RememberingEmbedder:
    """The embedder, remembering each text's vector, so that variants compared in one
    process embed the pages once (vectors do not depend on the batch: signals/embed.py)."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.known: dict[str, np.ndarray] = {}

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            self.known.update(zip(missing, self.inner.encode(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.known[t] for t in texts])


def variant_classifier(embedder: Embedder, variant: str, settings: SignalSettings) -> SignalClassifier:
    """'method' or 'method@threshold' (see --variants) as a classifier."""
    method, _, value = variant.partition("@")
    classifier = get_classifier(
        embedder,
        examples_dir=settings.examples_dir,
        method=method or settings.classifier,
        persist=settings.cache_classifier,
    )
    if not value:
        return classifier
    threshold = float(value)
    if method == HEAD_METHOD:
        return dataclasses.replace(classifier, event_threshold=threshold)
    if method == RESCUED_METHOD and classifier.rescue is not None:
        rescue = classifier.rescue
        every = dict.fromkeys(rescue.type_event_thresholds, threshold)
        return dataclasses.replace(
            classifier,
            rescue=dataclasses.replace(rescue, event_threshold=threshold, type_event_thresholds=every),
        )
    raise ValueError(f"a threshold is only for {HEAD_METHOD} or {RESCUED_METHOD}: {variant}")


async def fixture_web(
    companies: int, seed: int, variants: Sequence[str] = ("",), examples_dir: str | None = None
) -> list[dict[str, float]]:
    """Render the fixture web's company pages (home, about, contact, section indexes, every
    visible post, forum and social posts), classify them with the default settings (or each
    of ``variants``, the fitted ones on ``examples_dir``), and compare with the world's
    planted signals. Thresholds are NOT tuned here."""
    import hashlib

    from scripts.fixture_web.site import company_page, forum_page, social_page
    from scripts.fixture_web.world import World
    from storage.customers import Customer
    from storage.documents import NewDocument

    world = World.generate(companies, seed)
    now = world.now
    truth = world.ground_truth()["signals"]
    docs: list[NewDocument] = []
    customers = []
    for company in world.companies:
        customers.append(
            Customer(
                company.customer_id,
                company.name,
                company.domain,
                company.org_size,
                "",
                "",
                "",
                "",
                "",
                company.country,
                False,
                0.0,
                "",
                "",
                "SMB",
            )
        )
        site = world.site(company)
        rendered: list[tuple[str, str, object]] = []
        paths = ["/", "/about", "/contact", company.blog_path, company.news_path, company.jobs_path]
        paths += [p.path for p in site.blog + site.news + site.jobs if p.published <= now]
        for path in paths:
            rendered.append((company.base_url + path, "page", company_page(world, company, path, now)))
        for post in site.forum:
            rendered.append((post.url, "forum", forum_page(world, post.path, "", now)))
        for post in site.social:
            rendered.append((post.url, "social", social_page(world, post.path, now)))
        for n, (url, kind, page) in enumerate(rendered):
            status = getattr(page, "status", 200)
            body = getattr(page, "body", b"")
            if status != 200 or not body:
                continue
            docs.append(
                NewDocument(
                    customer_id=company.customer_id,
                    url=url,
                    kind="page",
                    fetched_at=float(n),
                    content_hash=hashlib.sha256(body).hexdigest(),
                    body=body,
                    source_kind=kind,
                    content_type=getattr(page, "content_type", "text/html"),
                )
            )
    urls = {d.url for d in docs}
    truth = [t for t in truth if t["url"] in urls]
    settings = (
        dataclasses.replace(SignalSettings(), examples_dir=examples_dir) if examples_dir else SignalSettings()
    )
    embedder = _RememberingEmbedder(load_embedder(settings.model, settings.batch_size))
    outcomes = []
    for variant in variants:
        classifier = variant_classifier(embedder, variant, settings)
        emitted = await _classify_world(world, customers, docs, embedder, classifier, settings)
        outcomes.append({"documents": len(docs), **_compare(truth, emitted)})
    return outcomes


async def _classify_world(
    world: Any,
    customers: list[Any],
    docs: list[Any],
    embedder: Embedder,
    classifier: SignalClassifier,
    settings: SignalSettings,
) -> list[Any]:
    """The signals one classifier emits for the fixture web's pages, in a fresh store."""
    import tempfile

    from signals.pipeline import ClassifyPipeline
    from storage.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        async with await open_store(Path(tmp) / "fixture.db") as store:
            await store.customers.upsert_all(customers)
            await store.documents.store(docs)
            await ClassifyPipeline(store.signals, embedder, classifier, settings).run()
            emitted = []
            for company in world.companies:
                emitted.extend(await store.signals.by_customer(company.customer_id))
    return emitted


def _compare(truth: list[dict[str, Any]], emitted: list[Any]) -> dict[str, float]:
    found = 0
    missed = []
    for t in truth:
        if any(
            s.customer_id == t["customer_id"]
            and s.signal_type == t["signal_type"]
            and _same_text(t["text"], s.passage)
            for s in emitted
        ):
            found += 1
        else:
            other = [
                s.signal_type
                for s in emitted
                if s.customer_id == t["customer_id"] and _same_text(t["text"], s.passage)
            ]
            missed.append((t["signal_type"], other, t["url"], t["text"][:110]))
    if os.environ.get("ASCENT_EVAL_VERBOSE"):
        for signal_type, other, url, text in missed:
            print(f"  missed {signal_type} (got {other}) {url}: {text}", file=sys.stderr)
    planted = 0
    wrong: list[tuple[str, str]] = []
    for s in emitted:
        if any(t["customer_id"] == s.customer_id and _same_text(t["text"], s.passage) for t in truth):
            planted += 1
        else:
            wrong.append((s.signal_type, s.passage[:120]))
    if os.environ.get("ASCENT_EVAL_VERBOSE"):
        for signal_type, passage in wrong:
            print(f"  not planted: {signal_type}: {passage}", file=sys.stderr)
    return {
        "planted": len(truth),
        "found_right_type": found / max(1, len(truth)),
        "emitted": len(emitted),
        "not_planted": len(wrong) / max(1, len(emitted)),
    }


if __name__ == "__main__":
    sys.exit(main())
