"""Passages, the embedding cache and buying signals with their explanations."""

from __future__ import annotations

from storage.db import Database


class SqliteSignalRepository:
    def __init__(self, db: Database):
        self.db = db
