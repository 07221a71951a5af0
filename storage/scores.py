"""Fit models, intent scores, propensity rows and per-customer monthly flags and cohorts."""

from __future__ import annotations

from storage.db import Database


class SqliteScoreRepository:
    def __init__(self, db: Database):
        self.db = db
