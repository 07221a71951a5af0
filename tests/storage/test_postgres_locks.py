"""The advisory lock that lets only one monthly run per month proceed across processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.postgres.locks import exclusive, lock_key, monthly_lock_name
from storage.postgres.scratch import scratch_schema
from storage.store import open_store
from tests.support.storage import check_postgres


def test_lock_keys_are_stable_and_distinct() -> None:
    assert lock_key(monthly_lock_name("2026-11")) == lock_key("ascent:monthly:2026-11")
    assert lock_key(monthly_lock_name("2026-11")) != lock_key(monthly_lock_name("2026-12"))
    assert -(2**63) <= lock_key("x") < 2**63


async def test_sqlite_always_grants(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "a.db")
    async with store, exclusive(store.db, monthly_lock_name("2026-11")) as held:
        assert held


@pytest.mark.postgres
async def test_only_one_holder_per_month() -> None:
    check_postgres()
    with scratch_schema() as url:
        first, second = await open_store(url), await open_store(url)
        try:
            name = monthly_lock_name("2026-11")
            async with exclusive(first.db, name) as held:
                assert held
                async with exclusive(second.db, name) as other:
                    assert not other
                async with exclusive(second.db, monthly_lock_name("2026-12")) as other_month:
                    assert other_month
            async with exclusive(second.db, name) as after:
                assert after
        finally:
            await first.close()
            await second.close()
