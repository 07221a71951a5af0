"""Shared fixtures: a real SQLite file per test, and paths to the shared real-world data."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.postgres.scratch import scratch_schema
from storage.store import Store, open_store
from tests.support.storage import BACKENDS, backend_store, check_postgres, migrated_scratch_schema

REPO = Path(__file__).resolve().parent.parent

# Fixtures that tests of several parts use, kept in their support modules.
pytest_plugins = [
    "tests.support.browser",
    "tests.support.hostile_db",
    "tests.support.scored_db",
    "tests.support.ssrf",
]
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
    """A scratch PostgreSQL schema dropped after the test; when no server answers, a skip that
    says why (a failure where ASCENT_REQUIRE_POSTGRES=1, as in CI)."""
    check_postgres()
    with scratch_schema() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_pg_url() -> Iterator[str]:
    """One migrated scratch schema for the session (contract tests empty it before each test)."""
    with migrated_scratch_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An empty store on each backend in turn: SQLite in a file, PostgreSQL in the session's
    scratch schema."""
    url = request.getfixturevalue("migrated_pg_url") if request.param == "postgres" else None
    async with backend_store(request.param, tmp_path, url) as opened:
        yield opened


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; the calling test skips when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real-world data not present: {path}")
    return path
