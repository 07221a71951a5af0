"""What every subcommand needs from the global options: settings and the store."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from scripts.settings import Settings, load_settings
from storage.errors import DatabaseMissing
from storage.store import Store, open_store

DEFAULT_DB = "ascent.db"


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None))


def db_target(args: argparse.Namespace) -> str:
    """The --db value: a SQLite file path or a postgresql:// URL."""
    return str(getattr(args, "db", None) or os.environ.get("ASCENT_DB") or DEFAULT_DB)


def db_path(args: argparse.Namespace) -> Path:
    """Where files beside the database go (reports); the working folder for a database URL."""
    target = db_target(args)
    return Path("ascent.db") if "://" in target else Path(target)


def require_database(args: argparse.Namespace) -> None:
    """DatabaseMissing unless the --db file exists (a URL is checked when it is connected to):
    reading from a mistyped path would otherwise create an empty database there."""
    target = db_target(args)
    if "://" not in target and not Path(target).exists():
        raise DatabaseMissing(
            f"no database at {target} (import customers or run `ascent demo` first, or pass --db)"
        )


async def store_from(
    args: argparse.Namespace, settings: Settings | None = None, *, reading: bool = False
) -> Store:
    """The store of --db. A command that only reads (``reading``) gets DatabaseMissing rather
    than a new empty file, and reads a database whose folder cannot be written."""
    settings = settings or settings_from(args)
    if reading:
        require_database(args)
    return await open_store(db_target(args), settings.storage, reading=reading)
