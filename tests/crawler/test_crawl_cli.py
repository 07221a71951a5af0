"""`ascent sources DOMAIN --json` and `ascent crawl` argument handling."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from scripts.cli import main as cli
from storage.store import open_store
from tests.support.crawl_fakes import FakeGates
from tests.support.crawl_loop import Clock, _crawler, _customer, build_web


def _crawl_into(db: Path) -> None:
    async def go() -> None:
        store = await open_store(db)
        async with store:
            await _customer(store)
            await _crawler(store, build_web(), FakeGates(), Clock()).run(once=True)

    asyncio.run(go())


def test_sources_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "a.db"
    _crawl_into(db)
    assert cli(["--db", str(db), "sources", "https://WWW.Contoso.com/", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    keys = {"url", "kind", "status", "last_fetched", "scheme", "documents"}
    assert listing and all(set(s) == keys for s in listing)
    assert all(set(d) == {"url", "title", "published"} for s in listing for d in s["documents"])
    feed = next(s for s in listing if s["url"] == "http://www.contoso.com/blog/feed.xml")
    assert feed["kind"] == "feed" and feed["status"] == "active"
    assert feed["last_fetched"].endswith("Z")
    assert {d["url"] for d in feed["documents"]} == {
        "http://www.contoso.com/blog/post-1",
        "http://www.contoso.com/blog/post-2",
    }
    assert feed["documents"][0]["published"] == "2026-11-02T10:00:00Z"
    blocked = next(s for s in listing if s["url"].endswith("/private/secret"))
    assert blocked["status"] == "blocked" and blocked["documents"] == []
    assert cli(["--db", str(db), "sources", "contoso.com"]) == 0
    assert "sources" in capsys.readouterr().out


def test_sources_unknown_domain_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "b.db"
    _crawl_into(db)
    assert cli(["--db", str(db), "sources", "unknown.example.com", "--json"]) == 3
    assert "no customer" in capsys.readouterr().err
    assert cli(["--db", str(db), "sources", "not a domain", "--json"]) == 2


def test_crawl_rejects_bad_max_seconds(tmp_path: Path) -> None:
    assert cli(["--db", str(tmp_path / "c.db"), "crawl", "--once", "--max-seconds", "0"]) == 2
