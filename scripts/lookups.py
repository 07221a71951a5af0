"""One customer, found by the domain a user typed: its sources and documents, and the
explanation of its scores, as the JSON contracts of SPEC §10 (``ascent sources``, ``ascent
explain``)."""

from __future__ import annotations

import time
from typing import Any

from common.errors import InputError, NotFoundError


class NoSuchCustomer(NotFoundError):
    """No stored customer has this domain."""

    def __init__(self, domain: str):
        super().__init__(f"no customer with domain {domain}")
        self.domain = domain


def domain_argument(typed: str) -> str:
    """The registrable domain in what a user typed (a URL or a host will do); InputError
    naming what was typed when there is none."""
    from intent.domains import DomainError, normalise_domain

    try:
        return normalise_domain(typed)
    except DomainError as exc:
        raise InputError(f"{typed!r} {exc}") from exc


async def source_listing(store: Any, customer_id: str) -> list[dict[str, Any]]:
    """The SPEC §10 structure for one customer ."""
    sources = await store.frontier.by_customer(customer_id)
    schemes = {s.host: s.scheme for s in await store.frontier.host_schemes({s.host for s in sources})}
    documents = await store.documents.by_customer(customer_id)
    latest: dict[tuple[int | None, str, str], Any] = {}
    for doc in documents:  # oldest first: later versions replace earlier ones
        latest[(doc.source_id, doc.url, doc.kind)] = doc
    by_source: dict[int | None, list[Any]] = {}
    for doc in latest.values():
        by_source.setdefault(doc.source_id, []).append(doc)
    listing = []
    for source in sources:
        docs = sorted(
            by_source.get(source.source_id, []),
            key=lambda d: (d.published or "", d.url),
            reverse=True,
        )
        listing.append(
            {
                "url": source.url,
                "kind": source.kind,
                "status": source.status,
                "last_fetched": _iso(source.last_fetched_at),
                "scheme": schemes.get(source.host.lower()),
                "documents": [{"url": d.url, "title": d.title, "published": d.published} for d in docs],
            }
        )
    return listing


def _iso(instant: float | None) -> str | None:
    if instant is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(instant))


def explanation(domain: str, customer_id: str, detail: Any) -> dict[str, Any]:
    """The JSON contract of SPEC §10 (plus nearest examples and key phrases as extras)."""
    month = detail.month
    areas = [
        {
            "area": p.area,
            "fit": round(p.fit, 1),
            "intent": round(p.intent, 1),
            "cell": p.cell,
            "cluster": p.cluster,
            "fit_band": p.fit_band,
            "intent_band": p.intent_band,
        }
        for p in detail.history
        if p.month == month
    ]
    technologies = [
        {"name": t.technology, "evidence": f"{t.method}: {t.evidence}", "category": t.category}
        for t in detail.technologies
    ]
    signals = [
        {
            "signal_type": s.signal_type,
            "url": s.url,
            "published": s.published,
            "confidence": round(s.confidence, 3),
            "passage": s.passage,
            "why_now": s.why_now,
            "key_phrase": s.key_phrase,
            "source_kind": s.source_kind,
            "areas": s.areas,
            "nearest_examples": [
                {"text": e.text, "label": e.label, "similarity": e.similarity} for e in s.nearest_examples
            ],
        }
        for s in detail.signals
    ]
    return {
        "domain": domain,
        "customer_id": customer_id,
        "month": month,
        "firmographics": detail.firmographics,
        "areas": areas,
        "technologies": technologies,
        "signals": signals,
    }
