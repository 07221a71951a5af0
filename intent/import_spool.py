"""An import's scratch space on disk: keys seen so far and the rows validated, in file order.

Memory stays flat in the file's size: a scratch SQLite database (the empty file name:
private, on disk, deleted on close) holds each key with the line that first gave it and every
validated record; only its small page cache lives in memory. Loading reads the records back
from here, so the file is parsed once and what is loaded is exactly what was validated.
"""

from __future__ import annotations

import json
import pickle
import sqlite3
from collections.abc import Iterator
from types import TracebackType
from typing import Any


class ImportSpool:
    """Remembers (namespace, key) -> first line and value, and keeps validated records."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")
        self._db.execute(
            "CREATE TABLE seen (space TEXT, key TEXT, line INTEGER, value TEXT, PRIMARY KEY (space, key))"
            " WITHOUT ROWID"
        )
        self._db.execute("CREATE TABLE kept (line INTEGER PRIMARY KEY, record BLOB)")

    def first(self, space: str, key: object, line: int, value: str = "") -> tuple[int, str] | None:
        """Record ``key`` at ``line``; when it was seen before, the earlier (line, value)."""
        text = json.dumps(key)
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO seen (space, key, line, value) VALUES (?, ?, ?, ?)",
            (space, text, line, value),
        )
        if cursor.rowcount:
            return None
        row = self._db.execute(
            "SELECT line, value FROM seen WHERE space = ? AND key = ?", (space, text)
        ).fetchone()
        return int(row[0]), str(row[1])

    def get(self, space: str, key: object) -> tuple[int, str] | None:
        row = self._db.execute(
            "SELECT line, value FROM seen WHERE space = ? AND key = ?", (space, json.dumps(key))
        ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def entries(self, space: str, batch: int = 500) -> Iterator[list[tuple[object, int, str]]]:
        """Every (key, line, value) of ``space`` in batches of at most ``batch``."""
        cursor = self._db.execute("SELECT key, line, value FROM seen WHERE space = ? ORDER BY line", (space,))
        while rows := cursor.fetchmany(batch):
            yield [(json.loads(r[0]), int(r[1]), str(r[2])) for r in rows]

    def keep(self, line: int, record: object) -> None:
        # Pickle is safe here: the spool is private to this process and holds our own objects.
        self._db.execute("INSERT INTO kept (line, record) VALUES (?, ?)", (line, pickle.dumps(record)))

    def kept(self, batch: int = 500) -> Iterator[list[Any]]:
        """The kept records in file order, in batches of at most ``batch``."""
        cursor = self._db.execute("SELECT record FROM kept ORDER BY line")
        while rows := cursor.fetchmany(batch):
            yield [pickle.loads(r[0]) for r in rows]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ImportSpool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
