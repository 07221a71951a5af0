"""Documents: one row per content version of a fetched page or feed entry."""

from __future__ import annotations

from storage.db import Database


class SqliteDocumentRepository:
    def __init__(self, db: Database):
        self.db = db
