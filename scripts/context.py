"""What every subcommand needs from the global options: settings and the store of --db."""

from __future__ import annotations

import argparse
import os

from scripts.settings import Settings, load_settings
from scripts.wiring import DEFAULT_DB, open_database
from storage.store import Store


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None))


def db_target(args: argparse.Namespace) -> str:
    """The database every command works on: --db, else ASCENT_DB, else ./ascent.db; a SQLite
    file path or a postgresql:// URL alike."""
    return str(getattr(args, "db", None) or os.environ.get("ASCENT_DB") or DEFAULT_DB)


async def store_from(
    args: argparse.Namespace, settings: Settings | None = None, *, reading: bool = False
) -> Store:
    """The store of --db (see ``wiring.open_database`` for ``reading``)."""
    return await open_database(db_target(args), settings or settings_from(args), reading=reading)
