"""Document-level decisions: which signals a page gives, from its kind, its headline, its
structured data and its passages read together.

Passages are classified one by one; a page is more than its sentences:

- **The page's kind** (``page_kind``): a job ad, a news story or blog post, a forum thread, or
  another page, from the source kind the crawler stored, the URL and the page's schema.org
  types; a feed entry is never a story (the story's own page carries its headline).
- **A job ad** (a ``JobPosting``, or a careers page whose title is one role) is a hiring
  signal typed by the role's title (``signals/role_model.py``), or no hiring signal at all
  for a role the taxonomy has no type for; the passages' own hiring guesses are replaced by it.
  Of the other types its body states, only technology and workplace ones (a cloud migration
  the new hire will run) stay: its other sentences describe duties, not company news.
- **A news story or post** also has its headline classified, as a passage of its own: in
  real news the headline is often the one sentence that states the event. A type the
  headline states, or that the headline and one of the lead passages agree on (each at
  least ``agreement_min_confidence``, neither enough alone), is a signal.
- **One signal per type**: the evidence is the sentence that states the event: the body's
  most confident passage of that type, else the headline (or job title) that states it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

from common.vocabulary import HIRING_IDS
from signals.role_model import type_title
from signals.roles import is_role_title
from signals.structured import StructuredData
from signals.taxonomy import NONE, default_taxonomy

JOB_AD = "job_ad"
ARTICLE = "article"
FORUM = "forum"
OTHER = "other"

HIRING_TYPES = frozenset(HIRING_IDS)
# Source kinds whose pages' titles are headlines (the crawler's source kinds).
_HEADLINE_SOURCES = frozenset({"newsroom", "blog"})
# What a job ad's body may say besides the hire: the tools and projects the role works on.
# Its other sentences describe duties ("partner with sales", "launch new products"), not the
# company's news.
_JOB_AD_FAMILIES = frozenset({"technology", "workplace"})
# How many body passages make the lead a headline may agree with.
LEAD_PASSAGES = 3


@dataclass(frozen=True)
class PagePlan:
    """What the page is, decided before any passage is classified."""

    kind: str
    headline: str | None  # classified as a passage of its own (position 0) when set
    role_type: str | None = None  # a job ad's hiring type from its title (None: no type)
    # how often the title stage's answer of that type was right on held-out ads
    role_confidence: float = 0.0


def path_segments(url: str) -> list[str]:
    """The non-empty segments of a URL's path ("/careers/cloud-engineer" → 2)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return []
    return [segment for segment in path.split("/") if segment]


def page_kind(
    *, url: str, source_kind: str, document_kind: str, title: str | None, structured: StructuredData
) -> str:
    """JOB_AD, ARTICLE, FORUM or OTHER."""
    if structured.job is not None:
        return JOB_AD
    if source_kind == "careers" and title and len(path_segments(url)) >= 2 and is_role_title(title):
        return JOB_AD
    if source_kind == "forum":
        return FORUM
    # A feed entry's title is the feed's (a social post's is its first words cut short), and
    # the story's own page, which the crawler fetches too, carries the headline.
    if document_kind != "feed_entry" and (structured.articles or source_kind in _HEADLINE_SOURCES):
        return ARTICLE
    return OTHER


def plan_page(
    *, url: str, source_kind: str, document_kind: str, title: str | None, structured: StructuredData
) -> PagePlan:
    kind = page_kind(
        url=url, source_kind=source_kind, document_kind=document_kind, title=title, structured=structured
    )
    if kind == JOB_AD:
        job = structured.job
        role = job.title if job is not None else title or ""
        typing = type_title(role)
        role_type = typing.label if typing.label != NONE else None
        return PagePlan(kind, role or None, role_type, typing.confidence)
    if kind == ARTICLE and title and len(title.split()) >= 3:
        return PagePlan(kind, title)
    return PagePlan(kind, None)


@dataclass(frozen=True)
class Candidate:
    """One classified passage of the page: its calibrated probabilities and its decision."""

    position: int
    probabilities: np.ndarray  # row-aligned with the classifier's labels
    label: str  # the passage classifier's decision (NONE below the type's threshold)
    confidence: float
    is_headline: bool = False


@dataclass(frozen=True)
class Decision:
    position: int  # the evidence passage
    signal_type: str
    confidence: float


def _top_signal(candidate: Candidate, labels: Sequence[str]) -> tuple[str, float]:
    """The most probable signal type of a passage (never none) and its probability."""
    best, best_p = NONE, -1.0
    for label, p in zip(labels, candidate.probabilities, strict=True):
        if label != NONE and p > best_p:
            best, best_p = label, float(p)
    return best, best_p


def _evidence(
    body: Sequence[Candidate], signal_type: str, labels: Sequence[str], floor: float
) -> Candidate | None:
    """The body passage that states a type best: one decided as that type, else the one most
    probable for it among those leaning to it with at least ``floor``; None when none does."""
    decided = [c for c in body if c.label == signal_type]
    if decided:
        return max(decided, key=lambda c: (c.confidence, -c.position))
    leaning = [(p, c) for c in body for t, p in [_top_signal(c, labels)] if t == signal_type and p >= floor]
    if leaning:
        return max(leaning, key=lambda pair: (pair[0], -pair[1].position))[1]
    return None


def job_ad_may_state(signal_type: str) -> bool:
    return default_taxonomy().get(signal_type).family in _JOB_AD_FAMILIES


def decide(
    plan: PagePlan,
    candidates: Sequence[Candidate],
    labels: Sequence[str],
    *,
    agreement_min_confidence: float,
    article_lead_passages: int = 0,
) -> list[Decision]:
    """The page's signals: at most one per type, each with the passage that states it."""
    headline = next((c for c in candidates if c.is_headline), None)
    body = sorted((c for c in candidates if not c.is_headline), key=lambda c: c.position)
    headline_leans = _top_signal(headline, labels) if headline is not None else (NONE, 0.0)
    chosen: dict[str, Decision] = {}
    for order, candidate in enumerate(body):
        if candidate.label == NONE or (plan.kind == JOB_AD and not job_ad_may_state(candidate.label)):
            continue
        if (
            plan.kind == ARTICLE
            and article_lead_passages
            and order >= article_lead_passages
            and not (headline_leans[0] == candidate.label and headline_leans[1] >= agreement_min_confidence)
        ):
            continue  # deep in a story and not its headline's subject: background, not the news
        kept = chosen.get(candidate.label)
        if kept is None or candidate.confidence > kept.confidence:
            chosen[candidate.label] = Decision(candidate.position, candidate.label, candidate.confidence)
    if plan.kind == JOB_AD:
        if plan.role_type is not None:
            role = (plan.role_type, plan.role_confidence)
            _add_job_ad(chosen, role, headline, body, labels, agreement_min_confidence)
    elif headline is not None:
        _add_headline(chosen, headline, body, labels, agreement_min_confidence)
    return sorted(chosen.values(), key=lambda d: d.position)


def _add_job_ad(
    chosen: dict[str, Decision],
    role: tuple[str, float],  # the title's hiring type and the title stage's confidence
    headline: Candidate | None,
    body: Sequence[Candidate],
    labels: Sequence[str],
    floor: float,
) -> None:
    role_type, role_confidence = role
    # the ad's sentence about hiring, even when the passage classifier mistyped its role
    mistyped = [c for c in body if c.label in HIRING_TYPES]
    evidence = (
        _evidence(body, role_type, labels, floor)
        if any(c.label == role_type for c in body) or not mistyped
        else max(mistyped, key=lambda c: (c.confidence, -c.position))
    ) or headline
    if evidence is None:
        return
    confidence = max(role_confidence, evidence.confidence if evidence.label == role_type else 0.0)
    chosen[role_type] = Decision(evidence.position, role_type, confidence)


def _add_headline(
    chosen: dict[str, Decision],
    headline: Candidate,
    body: Sequence[Candidate],
    labels: Sequence[str],
    agreement_min_confidence: float,
) -> None:
    signal_type, probability = _top_signal(headline, labels)
    if signal_type == NONE or signal_type in chosen:
        return  # the body already states it: one signal, from the body's sentence
    if headline.label == signal_type:
        # the headline states it; a body sentence that leans the same way says it in full
        evidence = _evidence(body, signal_type, labels, agreement_min_confidence) or headline
        chosen[signal_type] = Decision(evidence.position, signal_type, headline.confidence)
        return
    if probability < agreement_min_confidence:
        return
    for lead in body[:LEAD_PASSAGES]:
        lead_type, lead_probability = _top_signal(lead, labels)
        if lead_type == signal_type and lead_probability >= agreement_min_confidence:
            # two independent readings of one event: the chance that neither is right
            confidence = 1.0 - (1.0 - probability) * (1.0 - lead_probability)
            chosen[signal_type] = Decision(lead.position, signal_type, confidence)
            return
