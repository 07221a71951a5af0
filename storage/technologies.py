"""Technographics: technologies seen for a customer, each with its evidence."""

from __future__ import annotations

from storage.db import Database


class SqliteTechnologyRepository:
    def __init__(self, db: Database):
        self.db = db
