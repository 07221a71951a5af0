"""URL normalisation and resolution, checked against crawler-commons' test vectors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.urls import host_of, in_domain, normalize_url, resolve_url
from tests.conftest import shared_data


def _rows(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        row = next(csv.reader([line], skipinitialspace=True))
        rows.append([cell.strip() if i else cell for i, cell in enumerate(row)])
    return rows


def test_crawler_commons_normaliser_vectors() -> None:
    path = shared_data("sitemaps-crawlercommons", "normalizer", "weirdToNormalizedUrls.csv")
    rows = [r for r in _rows(path) if len(r) >= 2]
    misses = [
        (weird, expected, normalize_url(weird, schemes=None, strip_tracking=False))
        for weird, expected in ((r[0], r[1].strip()) for r in rows)
        if normalize_url(weird, schemes=None, strip_tracking=False) != expected
    ]
    # Only the degenerate host-less 'http:////' forms are refused instead of rewritten.
    assert len(rows) > 100
    assert all(weird.startswith("http:///") for weird, _, _ in misses), misses


def test_invalid_urls_are_refused_not_raised() -> None:
    path = shared_data("sitemaps-crawlercommons", "normalizer", "invalidUrls.csv")
    for row in _rows(path):
        assert normalize_url(row[0]) is None


def test_resolution_vectors() -> None:
    path = shared_data("sitemaps-crawlercommons", "url-utils", "url-resolve.csv")
    rows = _rows(path)
    assert len(rows) > 15
    for reference, base, expected in rows:
        assert resolve_url(reference, base) == expected, (reference, base)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "HTTPS://WWW.Contoso.COM:443/a/./b/../c?utm_source=x&b=2&a=1#top",
            "https://www.contoso.com/a/c?a=1&b=2",
        ),
        ("http://contoso.com/blog?fbclid=abc", "http://contoso.com/blog"),
        ("http://bücher.de/x", "http://xn--bcher-kva.de/x"),
        ("https://contoso.com:8443", "https://contoso.com:8443/"),
        ("javascript:alert(1)", None),
        ("mailto:a@b.c", None),
        ("ftp://contoso.com/file", None),
        ("http://", None),
        ("http://a b.com/", None),
        ("http://" + "a" * 3000 + ".com/", None),
    ],
)
def test_normalisation_for_the_crawler(raw: str, expected: str | None) -> None:
    assert normalize_url(raw) == expected


def test_relative_links_resolve_against_the_page() -> None:
    assert normalize_url("../news/", "https://contoso.com/blog/post") == "https://contoso.com/news/"
    assert normalize_url("//cdn.contoso.com/x", "https://contoso.com/") == "https://cdn.contoso.com/x"
    assert normalize_url("#section", "https://contoso.com/a") == "https://contoso.com/a"


def test_scope_helpers() -> None:
    assert host_of("https://Blog.Contoso.com:8080/x") == "blog.contoso.com"
    assert in_domain("blog.contoso.com", "contoso.com")
    assert in_domain("contoso.com", "contoso.com")
    assert not in_domain("evilcontoso.com", "contoso.com")
    assert not in_domain("contoso.com.evil.net", "contoso.com")


@given(st.text(max_size=200))
def test_never_raises_and_is_idempotent(text: str) -> None:
    once = normalize_url(text)
    if once is not None:
        assert normalize_url(once) == once
