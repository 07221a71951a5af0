"""Where PostgreSQL must be there (CI: ASCENT_REQUIRE_POSTGRES=1) its absence fails the
PostgreSQL tests; elsewhere (a developer's laptop) they skip and say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.storage import REQUIRE_POSTGRES, check_postgres

REPO = Path(__file__).resolve().parents[2]
NOBODY_LISTENS = "postgresql://postgres@127.0.0.1:1/test"


def test_without_the_requirement_a_missing_server_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCENT_TEST_POSTGRES", NOBODY_LISTENS)
    monkeypatch.delenv(REQUIRE_POSTGRES, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no PostgreSQL server answers at .*127\.0\.0\.1:1"):
        check_postgres()


@pytest.mark.parametrize("value", ["", "0"])
def test_an_empty_or_zero_requirement_still_skips(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ASCENT_TEST_POSTGRES", NOBODY_LISTENS)
    monkeypatch.setenv(REQUIRE_POSTGRES, value)
    with pytest.raises(pytest.skip.Exception):
        check_postgres()


def test_with_the_requirement_a_missing_server_fails_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASCENT_TEST_POSTGRES", NOBODY_LISTENS)
    monkeypatch.setenv(REQUIRE_POSTGRES, "1")
    with pytest.raises(pytest.fail.Exception, match=r"PostgreSQL is required .*127\.0\.0\.1:1"):
        check_postgres()


def test_with_the_requirement_a_server_that_answers_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_POSTGRES, "1")
    from storage.postgres.scratch import unavailable_reason

    if unavailable_reason() is not None:
        pytest.skip("no PostgreSQL server here to pass with")
    check_postgres()


def test_ci_requires_postgres() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert f"{REQUIRE_POSTGRES}=1" in ci
