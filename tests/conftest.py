"""Shared fixtures: a real SQLite file per test, and paths to the shared real-world data."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.postgres.scratch import scratch_schema
from storage.store import Store, open_store
from tests.storage_support import check_postgres

REPO = Path(__file__).resolve().parent.parent
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


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; the calling test skips when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real-world data not present: {path}")
    return path
