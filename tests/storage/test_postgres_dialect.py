"""What differs between the backends' SQL: the dialect fragments, and psycopg's parameter
markers (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import migration_scripts
from storage.dialect import POSTGRES, SQLITE
from storage.postgres.db import Row, postgres_migration_scripts
from storage.postgres.dialect import format_paramstyle
from storage.store import _postgres_url


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = '?'", "SELECT * FROM t WHERE a = %s AND b = '?'"),
        ("SELECT a FROM t WHERE a LIKE '10%' AND b = ?", "SELECT a FROM t WHERE a LIKE '10%%' AND b = %s"),
        ('SELECT "a?b" FROM t WHERE c = ?', 'SELECT "a?b" FROM t WHERE c = %s'),
        ("SELECT 'it''s ?' , ?", "SELECT 'it''s ?' , %s"),
        ("SELECT a % 2 FROM t -- why?\nWHERE b = ?", "SELECT a %% 2 FROM t -- why?\nWHERE b = %s"),
        ("SELECT /* ? */ ?", "SELECT /* ? */ %s"),
        ("INSERT OR IGNORE INTO t(a) VALUES (?)", "INSERT OR IGNORE INTO t(a) VALUES (%s)"),
        ("SELECT MAX(a, ?) FROM t WHERE b LIKE ?", "SELECT MAX(a, %s) FROM t WHERE b LIKE %s"),
    ],
)
def test_only_the_parameter_markers_change(sql: str, expected: str) -> None:
    assert format_paramstyle(sql) == expected


def test_the_dialects_differ_only_where_said() -> None:
    assert (SQLITE.like, POSTGRES.like) == ("LIKE", "ILIKE")
    assert SQLITE.greatest("a", "?") == "MAX(a, ?)" and POSTGRES.greatest("a", "?") == "GREATEST(a, ?)"
    assert SQLITE.least("a", "b") == "MIN(a, b)" and POSTGRES.least("a", "b") == "LEAST(a, b)"
    assert SQLITE.index_hint("i") == " INDEXED BY i" and POSTGRES.index_hint("i") == ""
    assert (SQLITE.fixed_join, POSTGRES.fixed_join) == ("CROSS JOIN", "JOIN")
    assert "unixepoch" in SQLITE.utc_day("x") and "to_timestamp(x)" in POSTGRES.utc_day("x")
    assert "customer_id" in POSTGRES.unique_keys["signals"]
    assert "customer_id" not in SQLITE.unique_keys["signals"]


def test_every_migration_has_a_postgresql_file_of_the_same_number() -> None:
    sqlite = [version for version, _, _ in migration_scripts()]
    postgres = [version for version, _, _ in postgres_migration_scripts()]
    assert sqlite == postgres


def test_postgresql_migrations_use_its_own_types() -> None:
    for _, name, statements in postgres_migration_scripts():
        for statement in statements:
            assert "INTEGER" not in statement and " REAL" not in statement and "PRAGMA" not in statement, name


def test_row_behaves_like_sqlite_row() -> None:
    row = Row(("a", "b"), (1, "x"))
    assert row[0] == 1 and row["b"] == "x" and row["B"] == "x"
    assert dict(row) == {"a": 1, "b": "x"} and row.keys() == ["a", "b"] and tuple(row) == (1, "x")
    with pytest.raises(IndexError):
        row["c"]


def test_postgres_urls_survive_path() -> None:
    url = "postgresql://root@127.0.0.1:5432/test?options=-csearch_path%3Ds"
    assert _postgres_url(Path(url)) == url
    assert _postgres_url(url) == url
    assert _postgres_url(Path("ascent.db")) is None
