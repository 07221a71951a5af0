"""The classify step: stored documents → main text → passages → embeddings (cached) →
signals with explanations, written back one document per transaction.

Workers lease documents (``classify_lease_owner`` / ``classify_lease_until``) so several can
run against one database; a document whose lease expires (its worker died) is picked up again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from signals.classify import Prediction, SignalClassifier
from signals.document import (
    OTHER,
    Candidate,
    PagePlan,
    decide,
    job_ad_may_state,
    plan_page,
)
from signals.embed import CachedEmbedder, Embedder
from signals.explain import Explanation, ToExplain, explain_all
from signals.role_model import type_title
from signals.roles import job_ad_title
from signals.settings import SignalSettings
from signals.taxonomy import NONE, default_taxonomy
from storage.owners import new_owner, reclaim_dead
from storage.signals import (
    DocumentAnalysis,
    EvidenceRank,
    NewPassage,
    NewSignal,
    PendingDocument,
    SignalRepository,
)

MIN_PASSAGE_CHARS = 12


@dataclass(frozen=True)
class PassageResult:
    """One classified passage (what ``classify --stdin --json`` prints per line)."""

    text: str
    signal_type: str
    confidence: float
    areas: list[str]
    explanation: Explanation

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "signal_type": self.signal_type,
            "confidence": round(self.confidence, 4),
            "areas": self.areas,
            "explanation": self.explanation.as_json(),
        }


def classify_texts(
    texts: Sequence[str],
    vectors: np.ndarray,
    classifier: SignalClassifier,
    *,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None,
    company: str | None = None,
    published: str | None = None,
) -> list[PassageResult]:
    """Label, confidence, areas and explanation of each passage (vectors row-aligned)."""
    return classify_scored(texts, vectors, classifier, encode=encode, company=company, published=published)[0]


def classify_scored(
    texts: Sequence[str],
    vectors: np.ndarray,
    classifier: SignalClassifier,
    *,
    encode: Callable[[Sequence[str]], np.ndarray] | None = None,
    company: str | None = None,
    published: str | None = None,
) -> tuple[list[PassageResult], np.ndarray]:
    """:func:`classify_texts` and the calibrated probabilities it decided from (row i for
    text i), from one scoring pass; the explanations of all passages are built together."""
    taxonomy = default_taxonomy()
    probabilities, raw = classifier.score(vectors, texts)
    predictions = [read_as_job_ad(text, prediction) for text, prediction in zip(texts, raw, strict=True)]
    for i, (before, after) in enumerate(zip(raw, predictions, strict=True)):
        if after != before:
            probabilities[i] = told_as(probabilities[i], classifier.labels, after)
    explanations = explain_all(
        [
            ToExplain(text, prediction.label, vector, company, published)
            for text, vector, prediction in zip(texts, vectors, predictions, strict=True)
        ],
        classifier,
        encode=encode,
    )
    results = [
        PassageResult(
            text=text,
            signal_type=prediction.label,
            confidence=prediction.confidence,
            areas=taxonomy.areas_for(prediction.label, text),
            explanation=explanation,
        )
        for text, prediction, explanation in zip(texts, predictions, explanations, strict=True)
    ]
    return results, probabilities


def told_as(row: np.ndarray, labels: Sequence[str], prediction: Prediction) -> np.ndarray:
    """A passage's probabilities once a later stage (the job-ad reading) has decided it: the
    decided label at the decision's confidence, the rest shared as the classifier had it, so
    the scores and the runner-up shown beside a label never contradict it."""
    chosen = list(labels).index(prediction.label)
    rest = np.delete(row, chosen)
    out = np.empty_like(row, dtype=np.float64)
    left = 1.0 - prediction.confidence
    if rest.sum() > 0:
        out[np.arange(len(row)) != chosen] = rest / rest.sum() * left
    else:
        out[:] = left / max(1, len(row) - 1)
    out[chosen] = prediction.confidence
    return out


def read_as_job_ad(text: str, prediction: Prediction) -> Prediction:
    """A passage that opens a job ad is a hire of the role its title names, whatever its body
    talks about (the team, the tools, the company): a role the taxonomy has no type for is no
    hire. Only what a job ad may also state (the technology and workplace families) is kept.
    The confidence is the title stage's, measured on held-out ads (signals/role_model.py)."""
    title = job_ad_title(text)
    if title is None:
        return prediction
    role = type_title(title)
    if role.label != NONE:
        confidence = role.confidence
        if prediction.label == role.label:
            confidence = max(confidence, prediction.confidence)
        return dataclasses.replace(prediction, label=role.label, confidence=confidence)
    if prediction.label != NONE and job_ad_may_state(prediction.label):
        return prediction
    return dataclasses.replace(prediction, label=NONE, confidence=role.confidence)


@dataclass
class ClassifyStats:
    """One run's outcome. ``documents``, ``passages``, ``boilerplate``, ``signals`` and
    ``by_type`` are what the database holds for the documents the run classified (a page
    sent back to the queue and classified again counts once); ``saves`` counts every save."""

    documents: int = 0
    lost_leases: int = 0  # skipped: the lease was lost, or a page ranked first holds the passage
    failed: int = 0
    reclaimed: int = 0  # documents taken back from classifiers that are gone
    requeued: int = 0  # classified here, then sent back to the queue by a higher-ranked page
    left: int = 0  # documents still waiting for classification after the run
    saves: int = 0
    passages: int = 0
    boilerplate: int = 0
    classified_passages: int = 0
    signals: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


# How often a run looks for documents leased to classifiers that have died meanwhile (another
# worker on this machine killed, say): often enough that they wait seconds, not a lease.
RECLAIM_EVERY_S = 30.0


@dataclass
class PreparedPage:
    document: PendingDocument
    title: str | None
    published: str | None
    language: str | None
    text: str
    passages: list[NewPassage]
    plan: PagePlan = field(default_factory=lambda: PagePlan(OTHER, None))
    headline_position: int | None = None  # the passage that is the page's headline / job title
    # positions of passages already on a lower-ranked page of the site (or another copy of
    # this URL, such as its feed entry): their signal, if any, is given there
    repeated: set[int] = field(default_factory=set)

    @property
    def rank(self) -> EvidenceRank:
        return EvidenceRank.of(
            published=self.published,
            url=self.document.url,
            kind=self.document.kind,
            fetched_at=self.document.fetched_at,
            document_id=self.document.document_id,
        )


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def without_headline(text: str, title: str | None) -> str:
    """The main text without its first line when that line is the page's title.

    A headline ("Acme announces acquisition", a job title, a forum thread's subject) restates
    what the body says, with less detail. Left in, it is glued to the next short line (a
    dateline, "FOR IMMEDIATE RELEASE.", a greeting) into a passage that duplicates the body's
    signal, or that claims one the body never makes. The title itself is kept as the
    document's title.
    """
    if not title:
        return text
    head, newline, rest = text.lstrip().partition("\n")
    line, wanted = _normal(head), _normal(title)
    if line and len(line.split()) >= 2 and (line == wanted or wanted.startswith(line)):
        return rest if newline else ""
    return text


def prepare_document(document: PendingDocument, settings: SignalSettings) -> PreparedPage:
    """Decode and extract the main text, decide what the page is and cut it into passages
    (CPU only, no I/O). A headline or job title the document decision reads is passage 0."""
    from signals.extract import extract_html
    from signals.passages import passage_hash, split_passages

    page = extract_html(document.body, url=document.url, content_type=document.content_type)
    if document.kind == "feed_entry":
        # the feed's own title and date are authoritative for its entries
        title = document.title or page.title
        published = document.published or page.published
    else:
        title = page.title or document.title
        published = page.published or document.published
    published = published or page.structured.date
    plan = plan_page(
        url=document.url,
        source_kind=document.source_kind,
        document_kind=document.kind,
        title=title,
        structured=page.structured,
    )
    pieces = split_passages(without_headline(page.text, title), max_chars=settings.max_passage_chars)
    texts = [" ".join(piece.split()) for piece in pieces]
    texts = [text for text in texts if text]
    headline = " ".join((plan.headline or "").split())[: settings.max_passage_chars]
    headline_position: int | None = None
    if headline:
        same = [i for i, text in enumerate(texts) if _normal(text) == _normal(headline)]
        if same:
            headline_position = same[0]
        else:
            texts.insert(0, headline)
            headline_position = 0
    passages = [
        NewPassage(position, text, passage_hash(text))
        for position, text in enumerate(texts[: settings.max_passages_per_document])
    ]
    if headline_position is not None and headline_position >= len(passages):
        headline_position = None
    language = page.language or document.language
    return PreparedPage(document, title, published, language, page.text, passages, plan, headline_position)


def page_signals(
    item: PreparedPage,
    passages: Sequence[NewPassage],
    vectors: np.ndarray,
    probabilities: np.ndarray,
    classifier: SignalClassifier,
    settings: SignalSettings,
    predictions: Sequence[Prediction] | None = None,
) -> list[tuple[NewPassage, PassageResult]]:
    """A page's signals, explained: the document decision over its classified passages
    (``passages``, their vectors, calibrated probabilities and the classifier's own
    predictions are row-aligned; the predictions are made here when not given)."""
    chosen = page_decisions(item, passages, vectors, probabilities, classifier, settings, predictions)
    return explain_signals(chosen, classifier)


@dataclass(frozen=True)
class PageSignal:
    """A passage the document decision made a signal, before it is explained."""

    page: PreparedPage
    passage: NewPassage
    vector: np.ndarray
    signal_type: str
    confidence: float


def page_decisions(
    item: PreparedPage,
    passages: Sequence[NewPassage],
    vectors: np.ndarray,
    probabilities: np.ndarray,
    classifier: SignalClassifier,
    settings: SignalSettings,
    predictions: Sequence[Prediction] | None = None,
) -> list[PageSignal]:
    """The document decision over a page's classified passages (arguments as for
    :func:`page_signals`): which passages are its signals."""
    if predictions is None:
        # predict, not decide: a classifier may add a second opinion there (svm+kw+head)
        predictions = classifier.predict(vectors, [p.text for p in passages]) if len(passages) else []
    candidates = [
        Candidate(
            passage.position,
            row,
            prediction.label,
            prediction.confidence,
            is_headline=passage.position == item.headline_position,
        )
        for passage, row, prediction in zip(passages, probabilities, predictions, strict=True)
    ]
    decisions = decide(
        item.plan,
        candidates,
        classifier.labels,
        agreement_min_confidence=settings.agreement_min_confidence,
        article_lead_passages=settings.article_lead_passages,
    )
    by_position = {
        passage.position: (passage, vector) for passage, vector in zip(passages, vectors, strict=True)
    }
    return [
        PageSignal(item, *by_position[decision.position], decision.signal_type, decision.confidence)
        for decision in decisions
    ]


def explain_signals(
    chosen: Sequence[PageSignal], classifier: SignalClassifier
) -> list[tuple[NewPassage, PassageResult]]:
    """The signals of one or many pages with their explanations, built together."""
    # key phrases come from the cues here (encode=None): a model call per signal would
    # cost more than the passage itself and repeat on every reclassification
    explanations = explain_all(
        [
            ToExplain(
                one.passage.text,
                one.signal_type,
                one.vector,
                company=one.page.document.account_name,
                published=one.page.published,
            )
            for one in chosen
        ],
        classifier,
    )
    taxonomy = default_taxonomy()
    return [
        (
            one.passage,
            PassageResult(
                text=one.passage.text,
                signal_type=one.signal_type,
                confidence=one.confidence,
                areas=taxonomy.areas_for(one.signal_type, one.passage.text),
                explanation=explanation,
            ),
        )
        for one, explanation in zip(chosen, explanations, strict=True)
    ]


class ClassifyPipeline:
    """Classifies pending documents from a :class:`SignalRepository`."""

    def __init__(
        self,
        repository: SignalRepository,
        embedder: Embedder,
        classifier: SignalClassifier,
        settings: SignalSettings | None = None,
        *,
        owner: str | None = None,
    ):
        self.repository = repository
        self.embedder = embedder
        self.cached = CachedEmbedder(embedder, repository)
        self.classifier = classifier
        self.settings = settings or SignalSettings()
        self.owner = owner or new_owner()
        self.boilerplate_min_pages = self.settings.boilerplate_min_pages

    async def run(
        self,
        *,
        max_documents: int | None = None,
        progress: Callable[[ClassifyStats], None] | None = None,
        stop: asyncio.Event | None = None,
    ) -> ClassifyStats:
        """Classify pending documents until none are left (or ``max_documents``, or ``stop``).

        Documents leased to classifiers of this machine that are gone come back first, and
        again every ``RECLAIM_EVERY_S``. A stop lets the batch in hand finish; whatever this
        run still holds when it ends (stopped, failed, cancelled) is given back.
        """
        stats = ClassifyStats()
        started = time.perf_counter()
        saved: set[int] = set()
        next_reclaim = 0.0
        try:
            while stop is None or not stop.is_set():
                if time.monotonic() >= next_reclaim:
                    stats.reclaimed += await self.reclaim_dead_leases()
                    next_reclaim = time.monotonic() + RECLAIM_EVERY_S
                want = self.settings.documents_per_batch
                if max_documents is not None:
                    want = min(want, max_documents - stats.saves - stats.lost_leases)
                    if want <= 0:
                        break
                batch = await self.repository.lease_pending(self.owner, want, self.settings.lease_s)
                if not batch:
                    break
                await self._classify_batch(batch, stats, progress, saved)
        finally:
            with contextlib.suppress(Exception):  # the run's own error matters more
                await self.repository.release_owner(self.owner)
        await self._tally(stats, saved)
        stats.seconds = time.perf_counter() - started
        return stats

    async def reclaim_dead_leases(self) -> int:
        """Give back the documents of classifier processes of this machine that are gone."""
        return await reclaim_dead(self.repository)

    async def _tally(self, stats: ClassifyStats, saved: set[int]) -> None:
        """Replace the running counts with what the database holds at the end."""
        outcome = await self.repository.stored_outcome(sorted(saved))
        stats.documents = outcome.documents
        stats.requeued = len(saved) - outcome.documents
        stats.passages = outcome.passages
        stats.boilerplate = outcome.boilerplate
        stats.by_type = outcome.by_type
        stats.signals = sum(outcome.by_type.values())
        stats.left = await self.repository.pending_count()

    async def _classify_batch(
        self,
        batch: list[PendingDocument],
        stats: ClassifyStats,
        progress: Callable[[ClassifyStats], None] | None,
        saved: set[int],
    ) -> None:
        prepared = await asyncio.to_thread(self._prepare_all, batch)
        await self._mark_boilerplate(prepared)
        # one embedding call for the whole batch: the model is fastest on full batches
        todo = [
            (i, p)
            for i, item in enumerate(prepared)
            for p in item.passages
            if not p.is_boilerplate and p.position not in item.repeated and len(p.text) >= MIN_PASSAGE_CHARS
        ]
        vectors = await self.cached.encode([p.text for _, p in todo], [p.passage_hash for _, p in todo])
        probabilities, predictions = self.classifier.score(vectors, [p.text for _, p in todo])
        rows: list[list[int]] = [[] for _ in prepared]
        for row, (index, _) in enumerate(todo):
            rows[index].append(row)
        chosen = [
            page_decisions(
                item,
                [todo[row][1] for row in item_rows],
                vectors[item_rows],
                probabilities[item_rows],
                self.classifier,
                self.settings,
                [predictions[row] for row in item_rows],
            )
            for item, item_rows in zip(prepared, rows, strict=True)
        ]
        # the whole batch's signals explained together: one similarity product, not one per signal
        explained = iter(explain_signals([one for page in chosen for one in page], self.classifier))
        results = [[next(explained) for _ in page] for page in chosen]
        stats.embedded = self.cached.embedded
        stats.reused = self.cached.reused
        stats.classified_passages += len(todo)
        for item, found in zip(prepared, results, strict=True):
            if await self._save(item, found, stats):
                saved.add(item.document.document_id)
                stats.documents = len(saved)
            if progress is not None:
                progress(stats)

    def _prepare_all(self, batch: list[PendingDocument]) -> list[PreparedPage]:
        prepared = []
        for document in batch:
            try:
                prepared.append(prepare_document(document, self.settings))
            except Exception:
                prepared.append(PreparedPage(document, document.title, document.published, None, "", []))
        return prepared

    async def _mark_boilerplate(self, prepared: list[PreparedPage]) -> None:
        """Mark passages already on lower-ranked pages of the customer's site.

        Pages are taken in :class:`EvidenceRank` order (earliest dated, most specific first),
        as if saved one by one in that order. A passage already on a lower-ranked page, or on
        another copy of the same URL (a feed entry and its article), is a repeat: it is not
        classified again, so a press release quoted on several pages yields its signal once,
        from the page ranked first, whatever order the pages were fetched in (a page saved
        later that ranks first takes the signal over: see ``save_analysis``). A passage on
        ``boilerplate_min_pages`` other pages is also flagged as boilerplate.
        """
        earlier: dict[tuple[str, str], set[str]] = {}
        batch_ids = [item.document.document_id for item in prepared]
        for item in sorted(prepared, key=lambda one: one.rank):
            document = item.document
            hashes = [p.passage_hash for p in item.passages]
            order = item.rank
            # "" matches no URL, so this counts other copies of this very URL as well
            anywhere = await self.repository.site_page_counts(
                document.customer_id, hashes, "", order, batch_ids
            )
            suspects = [h for h in hashes if anywhere.get(h, 0) >= self.boilerplate_min_pages]
            counts = (
                await self.repository.site_page_counts(
                    document.customer_id, suspects, document.url, order, batch_ids
                )
                if suspects
                else {}
            )
            marked = []
            for passage in item.passages:
                key = (document.customer_id, passage.passage_hash)
                seen_in_batch = earlier.get(key, set())
                if anywhere.get(passage.passage_hash, 0) or seen_in_batch:
                    item.repeated.add(passage.position)
                others = seen_in_batch - {document.url}
                pages = counts.get(passage.passage_hash, 0) + len(others)
                marked.append(
                    NewPassage(
                        passage.position,
                        passage.text,
                        passage.passage_hash,
                        pages >= self.boilerplate_min_pages,
                    )
                )
            for passage in item.passages:
                earlier.setdefault((document.customer_id, passage.passage_hash), set()).add(document.url)
            item.passages = marked

    async def _save(
        self,
        item: PreparedPage,
        found: list[tuple[NewPassage, PassageResult]],
        stats: ClassifyStats,
    ) -> bool:
        taxonomy = default_taxonomy()
        signals = []
        for passage, result in found:
            signal_type = taxonomy.get(result.signal_type)
            signals.append(
                NewSignal(
                    position=passage.position,
                    signal_type=result.signal_type,
                    family=signal_type.family,
                    polarity=signal_type.polarity,
                    confidence=result.confidence,
                    areas=result.areas,
                    key_phrase=result.explanation.key_phrase,
                    why_now=result.explanation.why_now,
                    nearest_examples=result.explanation.as_json()["nearest_examples"],  # type: ignore[arg-type]
                    model=self.embedder.name,
                )
            )
        analysis = DocumentAnalysis(
            document_id=item.document.document_id,
            title=item.title,
            published=item.published,
            language=item.language,
            text=item.text,
            passages=item.passages,
            signals=signals,
        )
        if not await self.repository.save_analysis(self.owner, analysis):
            stats.lost_leases += 1
            return False
        stats.saves += 1
        stats.passages += len(item.passages)
        stats.boilerplate += sum(1 for p in item.passages if p.is_boilerplate)
        stats.signals += len(signals)
        for signal in signals:
            stats.by_type[signal.signal_type] = stats.by_type.get(signal.signal_type, 0) + 1
        return True


def load_models(settings: SignalSettings) -> tuple[Embedder, SignalClassifier]:
    """The embedder and the fitted classifier of these settings, loaded once per process."""
    from signals.classify import get_classifier
    from signals.embed import load_embedder

    embedder = load_embedder(settings.model, settings.batch_size)
    classifier = get_classifier(
        embedder,
        examples_dir=settings.examples_dir,
        method=settings.classifier,
        target_precision=settings.target_precision,
        min_confidence=settings.min_confidence,
        threshold_policy=settings.threshold_policy,
        persist=settings.cache_classifier,
    )
    return embedder, classifier


async def classify_pending(
    repository: SignalRepository,
    settings: SignalSettings | None = None,
    *,
    max_documents: int | None = None,
    progress: Callable[[ClassifyStats], None] | None = None,
    stop: asyncio.Event | None = None,
) -> ClassifyStats:
    """One classification pass over the pending documents (what the daemon schedules)."""
    settings = settings or SignalSettings()
    embedder, classifier = await asyncio.to_thread(load_models, settings)
    pipeline = ClassifyPipeline(repository, embedder, classifier, settings)
    return await pipeline.run(max_documents=max_documents, progress=progress, stop=stop)
