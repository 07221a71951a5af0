"""What every subcommand needs from the global options: settings and the store."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from scripts.settings import Settings, load_settings
from storage.store import Store, open_store

DEFAULT_DB = "ascent.db"


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None))


def db_path(args: argparse.Namespace) -> Path:
    return Path(getattr(args, "db", None) or os.environ.get("ASCENT_DB") or DEFAULT_DB)


async def store_from(args: argparse.Namespace, settings: Settings | None = None) -> Store:
    settings = settings or settings_from(args)
    return await open_store(db_path(args), settings.storage)
