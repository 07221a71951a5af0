"""Bounded fuzzing of every parser of untrusted input (the same targets as scripts/devtools/fuzz.py).

Each target gets its seed corpus (the fixture web's hostile pages, hand-made nasty cases and
real files from ../shared/data read in place), then hypothesis-generated mutations of it and
random bytes. A target must not raise, must answer within its per-input budget and keep its
invariants, all of them: every finding listed in docs/reliability.md is fixed, so the CI run
checks as strictly as ``python scripts/devtools/fuzz.py --seconds 300``, which fuzzes for longer.
"""

from __future__ import annotations

import json
import time

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.devtools import fuzz

# Examples per target, sized so each target stays well under 10 s on a loaded 2-core machine.
EXAMPLES = {
    "extract": 40,
    "passages": 60,
    "feeds": 40,
    "robots": 60,
    "imports": 150,
    "urls": 400,
    "discover": 40,
}
FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def _timed(name: str, data: bytes) -> float:
    target = fuzz.TARGETS[name]
    started = time.perf_counter()
    target.run(data, True)
    elapsed = time.perf_counter() - started
    assert elapsed < target.budget_s, f"{name}: {len(data)} bytes took {elapsed:.2f} s"
    return elapsed


def test_every_target_has_a_ci_budget() -> None:
    assert set(EXAMPLES) == set(fuzz.TARGETS)


@pytest.mark.parametrize("name", sorted(fuzz.TARGETS))
def test_seed_corpus_passes_within_budget_and_memory(name: str) -> None:
    """Every seed (hostile catalogue, hand-made, real files) passes with bounded time and RSS."""
    seeds = fuzz.TARGETS[name].seeds()
    assert len(seeds) >= 8
    process = psutil.Process()
    before = process.memory_info().rss
    for seed in seeds:
        _timed(name, seed)
    growth_mb = (process.memory_info().rss - before) / 1e6
    assert growth_mb < 400, f"{name}: RSS grew by {growth_mb:.0f} MB over the seeds"


def _fuzz_test(name: str):  # type: ignore[no-untyped-def]
    target = fuzz.TARGETS[name]

    @settings(FUZZ, max_examples=EXAMPLES[name])
    @given(st.deferred(lambda: fuzz.inputs(target, strict=True)))  # seeds load on first use
    def check(data: bytes) -> None:
        _timed(name, data)

    return check


test_fuzz_extract = _fuzz_test("extract")
test_fuzz_passages = _fuzz_test("passages")
test_fuzz_feeds = _fuzz_test("feeds")
test_fuzz_robots = _fuzz_test("robots")
test_fuzz_imports = _fuzz_test("imports")
test_fuzz_urls = _fuzz_test("urls")
test_fuzz_discover = _fuzz_test("discover")


def test_the_runner_saves_a_crashing_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def explode(data: bytes, strict: bool) -> None:
        if b"boom" in data:
            raise ValueError("boom")

    target = fuzz.Target("explode", "raises on 'boom'", explode, lambda: [b"ok", b"a boom"], budget_s=1.0)
    report = fuzz.fuzz_with_hypothesis(target, 0.5, tmp_path)
    assert report.executions > 2
    saved = [p.read_bytes() for p in report.findings]
    assert b"a boom" in saved
    assert all(b"boom" in data for data in saved)
    assert "ValueError: boom" in report.findings[0].with_suffix(".txt").read_text()


# --- Deterministic nasty cases with exact expectations ------------------------------------


def test_extract_two_megabytes_of_deep_nesting_is_bounded() -> None:
    from signals.extract import extract_html

    page = b"<html><body>" + b"<div><span>" * 170_000 + b"deep text" + b"</span></div>" * 20_000
    assert len(page) > 2_000_000
    started = time.perf_counter()
    result = extract_html(page)
    assert time.perf_counter() - started < 4.0
    assert isinstance(result.text, str)


def test_extract_drops_script_and_style_inside_text() -> None:
    from signals.extract import extract_html

    html = (
        "<html><body><article><p>The company opened an office in Leeds this spring and is"
        " hiring engineers.<script>alert('x')</script><style>p{color:red}</style> More prose"
        " follows here about the move and the new team of forty people.</p></article></body></html>"
    )
    text = extract_html(html).text
    assert "Leeds" in text
    assert "alert" not in text and "color:red" not in text


@pytest.mark.slow
def test_feed_billion_laughs_is_not_expanded_into_entries() -> None:
    """Entity expansion is cut off (expat's amplification limit): no huge title, no entries."""
    from crawler.feeds import parse_feed

    body = fuzz._hostile_body("feed-entity-expansion", "/feed.xml")
    feed = parse_feed(body, "https://badhost.example/feed.xml")
    assert feed.title is None or len(feed.title) <= 500
    assert len(feed.entries) <= 1


def test_feed_external_entity_is_never_resolved() -> None:
    from crawler.feeds import parse_feed

    body = fuzz._hostile_body("feed-external-entity", "/feed.xml")
    feed = parse_feed(body, "https://badhost.example/feed.xml")
    for entry in feed.entries:
        assert "root:" not in (entry.title or "") and "root:" not in entry.content_html


@pytest.mark.slow
def test_feed_entity_expansion_is_cheap() -> None:
    from crawler.feeds import parse_feed

    body = fuzz._hostile_body("feed-entity-expansion", "/feed.xml")
    process = psutil.Process()
    before = process.memory_info().rss
    started = time.perf_counter()
    parse_feed(body, "https://badhost.example/feed.xml")
    assert time.perf_counter() - started < 0.5
    assert (process.memory_info().rss - before) / 1e6 < 30


def test_deeply_nested_json_feed_does_not_raise() -> None:
    from crawler.feeds import parse_feed

    body = b'{"version": "https://jsonfeed.org/version/1", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    feed = parse_feed(body, "https://fuzz.example/feed.json")
    assert feed.entries == []


def test_robots_with_random_bytes_boms_and_huge_lines() -> None:
    from crawler.robots import parse_robots

    for body in (
        bytes(range(256)) * 100,
        b"\xef\xbb\xbf" + b"Disallow: /" + b"x" * 1_000_000,
        b"\xff\xfe" + "User-agent: *\nDisallow: /private/\n".encode("utf-16-le"),
    ):
        rules = parse_robots("https://r.example", body, max_bytes=500_000, status=200, now=0, ttl=1)
        assert isinstance(rules.allows("https://r.example/a", "ascent"), bool)
    rules = parse_robots(
        "https://r.example",
        b"\xff\xfe" + "User-agent: *\nDisallow: /private/\n".encode("utf-16-le"),
        max_bytes=500_000,
        status=200,
        now=0,
        ttl=1,
    )
    assert not rules.allows("https://r.example/private/x", "ascent")


def test_robots_sitemap_line_with_a_broken_ipv6_host_is_skipped() -> None:
    from crawler.robots import parse_robots

    body = b"User-agent: *\nSitemap: http://[::1\nSitemap: https://r.example/s.xml\n"
    rules = parse_robots("https://r.example", body, max_bytes=500_000, status=200, now=0, ttl=1)
    assert rules.sitemaps() == ["https://r.example/s.xml"]


def test_url_with_a_lone_surrogate_in_an_escaped_host_is_refused() -> None:
    from crawler.urls import normalize_url

    # json.loads turns "\udcff" into a lone surrogate: a JSON feed can hand us this string.
    url = json.loads('"http://%41\\udcff.example/"')
    assert normalize_url(url) is None


def test_url_user_info_is_percent_encoded() -> None:
    from crawler.urls import normalize_url

    result = normalize_url("http://a b\u00e9@host.example/")
    assert result is not None
    assert result.isascii() and " " not in result


@pytest.mark.parametrize("seed", fuzz.URL_SEEDS)
def test_url_seeds_are_refused_or_idempotent(seed: bytes) -> None:
    from crawler.urls import normalize_url

    text = seed.decode("utf-8", "surrogateescape")
    for result in (normalize_url(text), normalize_url(text, "https://b.example/x/")):
        fuzz.check_normalized(text, result, strict=True)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # ipaddress takes "%anything" as a scope; only RFC 6874's "%25" + unreserved is a zone
        ("http://[fe80::1%\udc815eth0]/", None),
        ("http://[fe80::1%25eth0\udc8fg]/", None),
        ("http://[fe80::1%25eth0]/", "http://[fe80::1%25eth0]/"),
        ("http://[0:0::1]:80/a", "http://[::1]/a"),
        ("http://[v1.x]/", None),
        ("http://[127.0.0.1]/", None),
        # UTS 46 maps the ideographic full stop to "." after the trailing dot was stripped
        ("ht\u3002", "http://ht/"),
        ("http\u3002:7/[v1.x]7", "http://http:7/%5Bv1.x%5D7"),
    ],
)
def test_url_fuzz_findings_stay_fixed(url: str, expected: str | None) -> None:
    from crawler.urls import normalize_url

    assert normalize_url(url) == expected
    fuzz.check_normalized(url, normalize_url(url), strict=True)


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "ftp://a.example/", "mailto:a@b.c"],
)
def test_url_normaliser_never_returns_another_scheme(url: str) -> None:
    from crawler.urls import normalize_url

    assert normalize_url(url) is None
    assert normalize_url(url, "https://b.example/") is None
