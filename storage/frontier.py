"""The frontier: sources with next-due times and leases, hosts' politeness state, the fetch log."""

from __future__ import annotations

from storage.db import Database


class SqliteFrontierRepository:
    def __init__(self, db: Database):
        self.db = db
