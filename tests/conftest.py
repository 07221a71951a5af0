"""Shared fixtures: a real SQLite file per test, and paths to the shared real-world data."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.postgres.scratch import scratch_schema, unavailable_reason
from storage.store import Store, open_store

REPO = Path(__file__).resolve().parent.parent

# Fixtures that tests of several parts use, kept in their support modules.
pytest_plugins = ["tests.support.browser", "tests.support.hostile_db", "tests.support.scored_db"]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ascent.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(db_path)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A scratch PostgreSQL schema dropped after the test, or a skip that says why none answers."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    with scratch_schema() as url:
        yield url


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; the calling test skips when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real-world data not present: {path}")
    return path
