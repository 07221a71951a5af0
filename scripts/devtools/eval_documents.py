"""Document-level evaluation on real, independently labelled documents.

Each document of the document-level sources in ``../shared/data/signals-dev`` (title on the
first line, paragraphs after) becomes a real HTML page, as a real site would publish it: a
news story under ``/news/`` with its headline in ``<title>``/``<h1>`` and, unless
``--no-jsonld``, a ``NewsArticle`` JSON-LD block; a job ad under ``/careers/`` with a
``JobPosting`` block (title, datePosted, hiringOrganization). The pages go through what the
product runs: extraction, passages, the headline, embeddings, the passage classifier and the
document decision (``signals.pipeline.prepare_document`` and ``page_signals``).

    python -m scripts.devtools.eval_documents [--sources a,b] [--limit N] [--no-jsonld] [--e2e N]

Scored per source on the types the source labels (CASIE labels security incidents only;
biotech-news its eight event types and hiring of any kind; google-jobs the four hiring
types, a role we have no type for being ``none``): per type precision/recall/F1, micro-F1
over those types and, for job ads, role-typing accuracy (the hiring type, or none, equals
the label). reuters, bbc and agnews are measure-only and weak (their "none" includes
untagged events): reuters is scored on merger_acquisition, bbc/agnews report how many pages
gave any signal. The role word lists are written from the taxonomy, not fitted; the two
settings of the document decision (``article_lead_passages``, ``agreement_min_confidence``)
are chosen by source folds with ``--sweep``: the value chosen on one news source is scored
on the other, never on its own. The passage classifier's own fitting is whatever
``signals.classify`` ships (see docs/signals.md).

``--e2e N`` also publishes N documents per source as a newsroom (or careers) site on
loopback, runs ``ascent crawl``, ``ascent classify`` and ``ascent explain --json`` in a fresh
database, and scores the signals it reads back the same way: the evaluators' path.

Passage vectors are cached under ``~/.cache/ascent-dev/`` (no text, only hashes and vectors).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from signals.classify import SignalClassifier
from signals.embed import Embedder
from signals.settings import SignalSettings
from signals.taxonomy import NONE

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "signals-dev"
CACHE = Path(os.environ.get("ASCENT_DEV_CACHE", Path.home() / ".cache" / "ascent-dev"))
HIRING = ("hiring_tech", "hiring_security", "hiring_sales", "hiring_finance")
EVENT_TYPES = (
    "product_launch",
    "partnership",
    "expansion",
    "funding",
    "merger_acquisition",
    "leadership_change",
    "compliance",
    "cost_cutting",
)


@dataclass(frozen=True)
class Source:
    name: str
    judged: tuple[str, ...]  # the types this source labels; other predictions are not judged
    job_ads: bool = False
    weak: bool = False  # measure-only: labels are a topic proxy


SOURCES = {
    "casie-documents": Source("casie-documents", ("security_incident",)),
    "biotech-news": Source("biotech-news", (*EVENT_TYPES, "hiring_any")),
    "google-jobs": Source("google-jobs", HIRING, job_ads=True),
    "reuters": Source("reuters", ("merger_acquisition",), weak=True),
    "bbc": Source("bbc", (), weak=True),
    "agnews": Source("agnews", (), weak=True),
}
DEFAULT_SOURCES = ("casie-documents", "biotech-news", "google-jobs")


@dataclass(frozen=True)
class LabelledDocument:
    doc_id: str
    title: str
    paragraphs: tuple[str, ...]
    labels: frozenset[str]


@dataclass
class Tally:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    documents: int = 0
    with_signal: int = 0
    roles_right: int = 0
    unjudged: Counter[str] = field(default_factory=Counter)


def read_documents(source: str, limit: int | None) -> list[LabelledDocument]:
    """The source's documents; with ``limit``, an even spread over the file (deterministic)."""
    path = DATA / f"{source}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if limit and len(rows) > limit:
        step = len(rows) / limit
        rows = [rows[int(i * step)] for i in range(limit)]
    documents = []
    for row in rows:
        lines = [line.strip() for line in str(row["text"]).split("\n") if line.strip()]
        if not lines:
            continue
        title = lines[0].rstrip(".") if source == "google-jobs" else lines[0]
        documents.append(
            LabelledDocument(str(row["id"]), title, tuple(lines[1:]), frozenset(row.get("labels") or ()))
        )
    return documents


def slug(document: LabelledDocument) -> str:
    return hashlib.sha256(document.doc_id.encode()).hexdigest()[:12]


def published_on(document: LabelledDocument) -> str:
    """A stable, plausible date per document (the sources' own dates are not kept)."""
    days = int(slug(document)[:6], 16) % 700
    return (date(2024, 1, 1) + timedelta(days=days)).isoformat()


def page_path(source: Source, document: LabelledDocument) -> str:
    return f"/careers/{slug(document)}" if source.job_ads else f"/news/{slug(document)}"


def render_page(source: Source, document: LabelledDocument, *, site: str, jsonld: bool) -> str:
    """The document as a real site would publish it."""
    when = published_on(document)
    if source.job_ads:
        data: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": "JobPosting",
            "title": document.title,
            "datePosted": when,
            "hiringOrganization": {"@type": "Organization", "name": site},
            "description": " ".join(document.paragraphs)[:2000],
        }
    else:
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": document.title,
            "datePublished": when,
        }
    ld = json.dumps(data).replace("</", "<\\/")
    head = f'<script type="application/ld+json">{ld}</script>' if jsonld else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in document.paragraphs)
    dateline = "" if jsonld else f'<p class="date"><time datetime="{when}">{when}</time></p>'
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(document.title)} | '
        f'{escape(site)}</title>{head}</head><body><header><nav><a href="/">Home</a> '
        f'<a href="/news/">News</a> <a href="/careers/">Careers</a></nav></header><main><article>'
        f"<h1>{escape(document.title)}</h1>{dateline}{body}</article></main>"
        f"<footer><p>{escape(site)} newsroom</p></footer></body></html>"
    )


def judge(source: Source, document: LabelledDocument, predicted: set[str], tally: Tally) -> None:
    """Adds one document's predicted types to the source's tally."""
    tally.documents += 1
    tally.with_signal += bool(predicted)
    gold = set(document.labels)
    if "hiring_any" in source.judged:
        # biotech's "hiring" is a job ad or hire announcement: any hiring type answers it
        predicted = {"hiring_any" if t in HIRING else t for t in predicted}
    if source.job_ads:
        expected = next(iter(gold & set(HIRING)), NONE)
        got = sorted(predicted & set(HIRING))
        tally.roles_right += (got[0] if len(got) == 1 else NONE if not got else "several") == expected
    for signal_type in source.judged:
        if signal_type in predicted and signal_type in gold:
            tally.tp[signal_type] += 1
        elif signal_type in predicted:
            tally.fp[signal_type] += 1
        elif signal_type in gold:
            tally.fn[signal_type] += 1
    for signal_type in predicted - set(source.judged):
        tally.unjudged[signal_type] += 1


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def report(source: Source, tally: Tally, mode: str) -> list[str]:
    lines = [f"## {source.name} ({mode}): {tally.documents} documents, {tally.with_signal} with any signal"]
    if source.judged:
        tp, fp, fn = (sum(c.values()) for c in (tally.tp, tally.fp, tally.fn))
        precision, recall, f1 = _prf(tp, fp, fn)
        weak = " (weak labels)" if source.weak else ""
        lines.append(f"micro{weak}: precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f}")
        lines.append("| type | labelled | predicted | precision | recall | F1 |")
        lines.append("|---|---|---|---|---|---|")
        for signal_type in source.judged:
            p, r, f = _prf(tally.tp[signal_type], tally.fp[signal_type], tally.fn[signal_type])
            labelled = tally.tp[signal_type] + tally.fn[signal_type]
            predicted = tally.tp[signal_type] + tally.fp[signal_type]
            if labelled or predicted:
                lines.append(f"| {signal_type} | {labelled} | {predicted} | {p:.3f} | {r:.3f} | {f:.3f} |")
    if source.job_ads:
        lines.append(f"role typing accuracy: {tally.roles_right / max(tally.documents, 1):.3f}")
    if tally.unjudged:
        other = ", ".join(f"{t} {n}" for t, n in tally.unjudged.most_common())
        lines.append(f"types the source does not label (not judged): {other}")
    return lines


# ------------------------------------------------------------------------------ in process


class VectorCache:
    """Passage vectors by passage hash, kept on disk between runs (vectors only, no text)."""

    def __init__(self, embedder: object, model_name: str):
        self.embedder = embedder
        self.path = CACHE / f"eval-documents-{model_name.replace('/', '_')}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path) as data:
                self.vectors = dict(zip(data["hashes"].tolist(), data["vectors"], strict=True))
        self.added = 0

    def encode(self, texts: Sequence[str], hashes: Sequence[str]) -> np.ndarray:
        missing = [(t, h) for t, h in zip(texts, hashes, strict=True) if h not in self.vectors]
        if missing:
            unique = dict((h, t) for t, h in missing)
            encoded = self.embedder.encode(list(unique.values()))  # type: ignore[attr-defined]
            self.vectors.update(zip(unique, encoded, strict=True))
            self.added += len(unique)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self.vectors[h] for h in hashes])

    def save(self) -> None:
        """Writes the cache, merged with what another run saved meanwhile."""
        if not self.added:
            return
        self.added = 0
        CACHE.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            with np.load(self.path) as data:
                for digest, vector in zip(data["hashes"].tolist(), data["vectors"], strict=True):
                    self.vectors.setdefault(digest, vector)
        hashes = np.array(list(self.vectors))
        np.savez(
            self.path.with_suffix(".tmp.npz"), hashes=hashes, vectors=np.stack(list(self.vectors.values()))
        )
        self.path.with_suffix(".tmp.npz").replace(self.path)


def predict_in_process(
    source: Source,
    documents: Sequence[LabelledDocument],
    *,
    jsonld: bool,
    variants: Sequence[SignalSettings],
    models: tuple[object, object],
    cache: VectorCache,
) -> list[list[set[str]]]:
    """Predicted signal types per document under each settings variant, through the
    product's own functions (passages are embedded and classified once for all variants)."""
    from signals.pipeline import MIN_PASSAGE_CHARS, page_signals, prepare_document
    from storage.signals import PendingDocument

    _, classifier = models
    site = "Example Newsroom"
    predicted: list[list[set[str]]] = [[] for _ in variants]
    for number, document in enumerate(documents):
        html = render_page(source, document, site=site, jsonld=jsonld).encode()
        pending = PendingDocument(
            document_id=number,
            customer_id="EVAL",
            account_name=site,
            domain="newsroom.example",
            url=f"https://newsroom.example{page_path(source, document)}",
            kind="page",
            source_kind="careers" if source.job_ads else "newsroom",
            title=None,
            published=None,
            language=None,
            content_type="text/html; charset=utf-8",
            fetched_at=float(number),
            body=html,
        )
        if number and not number % 50:
            cache.save()  # a long run killed part way keeps what it embedded
        item = prepare_document(pending, variants[0])
        passages = [p for p in item.passages if len(p.text) >= MIN_PASSAGE_CHARS]
        vectors = cache.encode([p.text for p in passages], [p.passage_hash for p in passages])
        probabilities = classifier.probabilities(vectors, [p.text for p in passages])  # type: ignore[attr-defined]
        for variant, out in zip(variants, predicted, strict=True):
            found = page_signals(item, passages, vectors, probabilities, classifier, variant)  # type: ignore[arg-type]
            out.append({result.signal_type for _, result in found})
    return predicted


def micro_f1(source: Source, documents: Sequence[LabelledDocument], predicted: Sequence[set[str]]) -> float:
    tally = Tally()
    for document, types in zip(documents, predicted, strict=True):
        judge(source, document, types, tally)
    return _prf(*(sum(c.values()) for c in (tally.tp, tally.fp, tally.fn)))[2]


# The document decision's two settings, swept by --sweep to choose them by source folds.
SWEEP_LEAD = (0, 3, 5, 8, 12)
SWEEP_AGREEMENT = (0.2, 0.3, 0.4)


def sweep_variants(base: SignalSettings) -> list[SignalSettings]:
    return [
        dataclasses.replace(base, article_lead_passages=lead, agreement_min_confidence=agreement)
        for lead in SWEEP_LEAD
        for agreement in SWEEP_AGREEMENT
    ]


# ------------------------------------------------------------------------------ end to end


def predict_end_to_end(
    source: Source, documents: Sequence[LabelledDocument], *, jsonld: bool, workdir: Path
) -> list[set[str]]:
    """Publish the documents as a site on loopback, crawl, classify, read ``explain --json``."""
    from scripts.devtools.eval_site import run_site_evaluation

    pages = {
        page_path(source, document): render_page(source, document, site="Example Newsroom", jsonld=jsonld)
        for document in documents
    }
    section = "/careers/" if source.job_ads else "/news/"
    signals = run_site_evaluation(pages, section=section, workdir=workdir)
    by_path: dict[str, set[str]] = defaultdict(set)
    for signal in signals:
        by_path[str(signal["path"])].add(str(signal["signal_type"]))
    return [by_path.get(page_path(source, document), set()) for document in documents]


def evaluate_in_process(
    source: Source,
    args: argparse.Namespace,
    variants: Sequence[SignalSettings],
    settings: SignalSettings,
    models: tuple[object, object],
    cache: VectorCache,
    sweep: dict[str, list[float]],
) -> None:
    """Scores one source through the product's functions in this process (and the sweep)."""
    documents = read_documents(source.name, args.limit)
    started = time.perf_counter()
    predicted = predict_in_process(
        source, documents, jsonld=not args.no_jsonld, variants=variants, models=models, cache=cache
    )
    cache.save()
    if args.sweep:
        sweep[source.name] = [micro_f1(source, documents, one) for one in predicted]
    tally = Tally()
    for document, types in zip(documents, predicted[list(variants).index(settings)], strict=True):
        judge(source, document, types, tally)
    print("\n".join(report(source, tally, f"in process, {time.perf_counter() - started:.0f} s")))


# The group each document-level source belongs to in the head's fitting data (scripts/devtools/devset.py).
HEAD_GROUPS = {"casie-documents": "casie", "biotech-news": "biotech-news"}


def head_without(source: str, embedder: Embedder, shipped: SignalClassifier) -> SignalClassifier:
    """The shipped two-stage head refitted without ``source``'s group (its event threshold
    kept), so a source the head was fitted on is scored by a head that never saw it."""
    from scripts.devtools import devset
    from scripts.devtools.fit_head import Table, fit, fittable, load_all

    group = HEAD_GROUPS.get(source)
    if group is None:
        return shipped
    _, example_rows, units, unit_rows = load_all(embedder)
    train = Table.concat([example_rows, unit_rows.select(fittable(unit_rows, units, leave_out=group))])
    head = fit(train)
    head.event_threshold = shipped.event_threshold or 0.5
    head.model_name = embedder.name
    assert group in devset.FITTABLE
    return dataclasses.replace(shipped, scorer=head)


def print_sweep(sweep: dict[str, list[float]], variants: Sequence[SignalSettings]) -> None:
    """Micro-F1 of every variant per source, and the folds: the variant chosen on the other
    news source(s), scored on each one (nothing chosen on the source it is scored on)."""
    print("\n## sweep: micro-F1 per (article_lead_passages, agreement_min_confidence)")
    print("| lead | agreement | " + " | ".join(sweep) + " |")
    print("|---|---|" + "---|" * len(sweep))
    for index, variant in enumerate(variants):
        scores = " | ".join(f"{sweep[name][index]:.3f}" for name in sweep)
        print(f"| {variant.article_lead_passages} | {variant.agreement_min_confidence} | {scores} |")
    news = [name for name in sweep if not SOURCES[name].job_ads and not SOURCES[name].weak]
    for held_out in news:
        others = [name for name in news if name != held_out]
        if not others:
            continue
        best = max(range(len(variants)), key=lambda i: (sum(sweep[n][i] for n in others), -i))
        chosen = variants[best]
        print(
            f"fold: chosen on {', '.join(others)} → lead {chosen.article_lead_passages}, agreement "
            f"{chosen.agreement_min_confidence}; {held_out} micro-F1 {sweep[held_out][best]:.3f}"
        )


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", default=",".join(DEFAULT_SOURCES), help="comma-separated; or 'all'")
    parser.add_argument("--limit", type=int, default=None, help="documents per source (an even spread)")
    parser.add_argument("--no-jsonld", action="store_true", help="publish pages without schema.org data")
    parser.add_argument("--sweep", action="store_true", help="score the document settings' grid, by fold")
    parser.add_argument("--classifier", default="", help="the [signals] classifier (default: the setting's)")
    parser.add_argument(
        "--leave-out", action="store_true", help="score each source by a head refitted without it"
    )
    parser.add_argument("--e2e-only", action="store_true", help="only the end-to-end crawl (with --e2e N)")
    parser.add_argument("--e2e", type=int, default=0, help="also crawl N documents per source end to end")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not DATA.exists():
        print(f"eval_documents: {DATA} is absent; nothing to measure", file=sys.stderr)
        return 0
    names = (
        list(SOURCES) if args.sources == "all" else [s.strip() for s in args.sources.split(",") if s.strip()]
    )
    from signals.pipeline import load_models

    settings = SignalSettings(classifier=args.classifier) if args.classifier else SignalSettings()
    embedder, classifier = load_models(settings)
    cache = VectorCache(embedder, embedder.name)
    jsonld = not args.no_jsonld
    print(f"# document-level evaluation, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"model {embedder.name}, classifier {classifier.method}, JSON-LD {'on' if jsonld else 'off'}")
    variants = sweep_variants(settings) if args.sweep else [settings]
    sweep: dict[str, list[float]] = {}
    for name in names:
        source = SOURCES[name]
        if not args.e2e_only:
            scoring = classifier
            if args.leave_out and classifier.method == "head":
                scoring = head_without(name, embedder, classifier)
            evaluate_in_process(source, args, variants, settings, (embedder, scoring), cache, sweep)
        if args.e2e:
            subset = read_documents(name, args.e2e)
            started = time.perf_counter()
            tally = Tally()
            workdir = CACHE / "eval-documents-e2e" / name
            for document, types in zip(
                subset, predict_end_to_end(source, subset, jsonld=jsonld, workdir=workdir), strict=True
            ):
                judge(source, document, types, tally)
            print(
                "\n".join(
                    report(source, tally, f"crawl + explain --json, {time.perf_counter() - started:.0f} s")
                )
            )
        sys.stdout.flush()
    if sweep:
        print_sweep(sweep, variants)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
