"""schema.org structured data of a page: job postings and articles, from JSON-LD and microdata.

A careers site marks each ad up as a ``JobPosting`` (title, datePosted, hiringOrganization,
description) and a newsroom marks its stories up as ``NewsArticle``/``BlogPosting`` (headline,
datePublished), because search engines read them. These fields say what the page is more
reliably than its layout does: the document decision (``signals/document.py``) types a job ad
by its title and dates it by ``datePosted``.

Everything here is hostile input: script bodies over ``MAX_SCRIPT_CHARS`` are skipped, nesting
deeper than ``MAX_DEPTH`` and more than ``MAX_OBJECTS`` objects are not walked, values of the
wrong type (a title that is a list, a date that is a number) are ignored, and every kept
string is cleaned (whitespace collapsed, markup tags removed) and cut to ``MAX_FIELD_CHARS``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from signals.dates import normalize_date

MAX_SCRIPTS = 10
MAX_SCRIPT_CHARS = 200_000
MAX_DEPTH = 12
MAX_OBJECTS = 500
MAX_ITEMS = 20
MAX_MICRODATA_SCOPES = 50
MAX_MICRODATA_PROPS = 200
MAX_FIELD_CHARS = 300
MAX_DESCRIPTION_CHARS = 5_000

JOB_TYPES = frozenset({"jobposting"})
ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle", "pressrelease"}
)
_TAG = re.compile(r"<[^>]{0,500}>")


@dataclass(frozen=True)
class JobPosting:
    title: str
    date_posted: str | None = None
    hiring_organization: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Article:
    headline: str | None
    date_published: str | None
    schema_type: str


@dataclass(frozen=True)
class StructuredData:
    jobs: list[JobPosting] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)

    @property
    def job(self) -> JobPosting | None:
        """The page's job ad when it marks up exactly one role (a listing marks up many; one ad
        may be marked up twice, in JSON-LD and in microdata)."""
        titles = {job.title.casefold() for job in self.jobs}
        return self.jobs[0] if len(titles) == 1 else None

    @property
    def date(self) -> str | None:
        """The first structured date: a job ad's datePosted, else an article's datePublished."""
        for job in self.jobs:
            if job.date_posted:
                return job.date_posted
        for article in self.articles:
            if article.date_published:
                return article.date_published
        return None


NO_STRUCTURED_DATA = StructuredData()


def clean_text(value: object, limit: int = MAX_FIELD_CHARS) -> str:
    """A string field's text: tags removed, whitespace collapsed, cut; '' for any non-string."""
    if not isinstance(value, str):
        return ""
    return " ".join(_TAG.sub(" ", value[: limit * 4]).split())[:limit]


def _types(obj: dict[str, Any]) -> set[str]:
    """The lower-cased local names of an object's @type ("schema:JobPosting" → "jobposting")."""
    raw = obj.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    names = set()
    for value in values[:10]:
        if isinstance(value, str):
            names.add(value.rsplit("/", 1)[-1].rsplit(":", 1)[-1].strip().lower())
    return names


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a parsed script, breadth-bounded and depth-bounded, iteratively."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while stack and seen < MAX_OBJECTS:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(item, dict):
            seen += 1
            yield item
            children: Iterable[Any] = list(item.values())[:100]
        elif isinstance(item, list):
            children = item[:100]
        else:
            continue
        nested = [child for child in children if isinstance(child, dict | list)]
        stack.extend((child, depth + 1) for child in reversed(nested))


def _organization(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, list) and value:
        return _organization(value[0])
    return clean_text(value) or None


def _date(value: Any) -> str | None:
    return normalize_date(value[:100]) if isinstance(value, str) else None


def _job(obj: dict[str, Any]) -> JobPosting | None:
    title = clean_text(obj.get("title")) or clean_text(obj.get("name"))
    if not title:
        return None
    return JobPosting(
        title=title,
        date_posted=_date(obj.get("datePosted")),
        hiring_organization=_organization(obj.get("hiringOrganization")),
        description=clean_text(obj.get("description"), MAX_DESCRIPTION_CHARS),
    )


def _article(obj: dict[str, Any], schema_type: str) -> Article:
    return Article(
        headline=clean_text(obj.get("headline")) or clean_text(obj.get("name")) or None,
        date_published=_date(obj.get("datePublished")),
        schema_type=schema_type,
    )


def _add(found: StructuredData, obj: dict[str, Any]) -> None:
    types = _types(obj)
    if types & JOB_TYPES and len(found.jobs) < MAX_ITEMS:
        job = _job(obj)
        if job is not None:
            found.jobs.append(job)
    elif (article_types := types & ARTICLE_TYPES) and len(found.articles) < MAX_ITEMS:
        found.articles.append(_article(obj, min(article_types)))


def from_jsonld(scripts: Iterable[str]) -> StructuredData:
    """Job postings and articles in JSON-LD script bodies (bad scripts are skipped)."""
    found = StructuredData()
    for count, body in enumerate(scripts):
        if count >= MAX_SCRIPTS:
            break
        if not isinstance(body, str) or len(body) > MAX_SCRIPT_CHARS:
            continue
        try:
            data = json.loads(body, strict=False)
        except (ValueError, RecursionError):
            continue
        for obj in _objects(data):
            _add(found, obj)
    return found


def _prop_value(node: LexborNode) -> str:
    """A microdata property's value: content/datetime attributes, else its text."""
    attrs = node.attributes
    value = attrs.get("content") or attrs.get("datetime")
    if value:
        return value
    return (node.text(deep=True) or "")[: MAX_DESCRIPTION_CHARS * 2]


def _scope_props(scope: LexborNode) -> dict[str, Any]:
    """The first value of each itemprop under one itemscope (nested scopes as their name)."""
    props: dict[str, Any] = {}
    for node in scope.css("[itemprop]")[:MAX_MICRODATA_PROPS]:
        name = (node.attributes.get("itemprop") or "").strip()
        if not name or name in props:
            continue
        if "itemscope" in node.attributes:
            inner = node.css_first('[itemprop="name"]')
            props[name] = {"name": _prop_value(inner)} if inner is not None else _prop_value(node)
        else:
            props[name] = _prop_value(node)
    return props


def from_microdata(tree: LexborHTMLParser) -> StructuredData:
    """Job postings and articles marked up with itemscope/itemtype/itemprop."""
    found = StructuredData()
    for scope in tree.css("[itemscope][itemtype]")[:MAX_MICRODATA_SCOPES]:
        itemtype = (scope.attributes.get("itemtype") or "")[:200]
        obj = _scope_props(scope)
        obj["@type"] = itemtype.split()
        _add(found, obj)
    return found


def extract_structured(tree: LexborHTMLParser, jsonld: Iterable[str]) -> StructuredData:
    """JSON-LD first (what sites write for search engines), then microdata."""
    from_scripts = from_jsonld(jsonld)
    marked_up = from_microdata(tree)
    return StructuredData(
        jobs=(from_scripts.jobs + marked_up.jobs)[:MAX_ITEMS],
        articles=(from_scripts.articles + marked_up.articles)[:MAX_ITEMS],
    )
