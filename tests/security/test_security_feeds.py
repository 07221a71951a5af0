"""Feed bodies are data, never a location: feedparser must not open what a server sent as a
path or URL, resolve external entities, or expand entity declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.feeds import parse_feed

LOCAL_FEED = (
    '<rss version="2.0"><channel><title>LOCAL FILE</title><item><title>from disk</title>'
    "<link>http://leak.example/x</link></item></channel></rss>"
)


def test_a_body_that_names_a_local_file_is_not_read_from_disk(tmp_path: Path) -> None:
    local = tmp_path / "feed.xml"
    local.write_text(LOCAL_FEED, encoding="utf-8")
    feed = parse_feed(str(local).encode(), "https://evil.example/feed.xml")
    assert feed.title != "LOCAL FILE"
    assert [e.link for e in feed.entries] == []


@pytest.mark.parametrize(
    "body",
    [
        b"http://127.0.0.1:9/feed.xml",
        b"file:///etc/passwd",
        b"feed://127.0.0.1:9/x",
    ],
)
def test_a_body_that_looks_like_a_url_is_never_fetched(body: bytes) -> None:
    feed = parse_feed(body, "https://evil.example/feed.xml")
    assert feed.entries == []
    assert feed.title is None


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>&xxe;</title><item><title>&xxe;</title>'
        "<link>http://a.example/1</link><description>&xxe;</description></item></channel></rss>"
    ).encode()
    feed = parse_feed(body, "https://evil.example/feed.xml")
    assert "TOP-SECRET" not in (feed.title or "")
    for entry in feed.entries:
        assert "TOP-SECRET" not in (entry.title or "") + entry.content_html


def test_a_small_quadratic_blowup_is_bounded() -> None:
    """One 10 kB entity referenced 2,000 times: 20 MB if expanded."""
    import time

    body = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + "a" * 10_000 + '">]>'
        '<rss version="2.0"><channel><item><title>x</title><link>http://a.example/1</link>'
        "<description>" + "&a;" * 2_000 + "</description></item></channel></rss>"
    ).encode()
    started = time.perf_counter()
    feed = parse_feed(body, "https://evil.example/feed.xml")
    assert time.perf_counter() - started < 5.0
    assert all(len(e.content_html) <= 200_000 for e in feed.entries)


def test_feedparser_is_never_given_a_string(monkeypatch: pytest.MonkeyPatch) -> None:
    """A str would be taken for a URL or a file name; only bytes (or a stream) are data."""
    import feedparser

    seen: list[type] = []
    original = feedparser.parse

    def spy(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(type(source))
        return original(source, *args, **kwargs)

    monkeypatch.setattr(feedparser, "parse", spy)
    parse_feed(LOCAL_FEED.encode(), "https://a.example/feed.xml")
    assert seen and not any(issubclass(kind, str) for kind in seen)


def test_robots_txt_with_an_entity_expansion_dtd_is_plain_text() -> None:
    import time

    from crawler.robots import parse_robots
    from scripts.fixture_web.hostile import respond

    body = respond("feed-entity-expansion", "/feed.xml").body + b"\nUser-agent: *\nDisallow: /x\n"
    started = time.perf_counter()
    rules = parse_robots("https://r.example", body, max_bytes=500_000, status=200, now=0, ttl=1)
    assert time.perf_counter() - started < 1.0
    assert not rules.allows("https://r.example/x", "ascent")
    assert rules.allows("https://r.example/y", "ascent")
