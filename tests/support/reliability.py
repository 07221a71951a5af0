"""Helpers for the crash-safety, fault, hostile-web tests: a fixture web in a thread, a
prepared database, ``ascent`` subprocesses and database inspection (read-only, plain sqlite3).
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scripts.devtools.soak import (
    BackgroundFixtureWeb,
    ascent,
    child_env,
    fixture_settings,
    import_world,
    write_settings,
)
from scripts.fixture_web import FixtureWeb, World
from scripts.settings import Settings

__all__ = [
    "BackgroundFixtureWeb",
    "Prepared",
    "ascent",
    "child_env",
    "copy_db",
    "fixture_settings",
    "prepared_world",
    "query",
    "run_ascent",
]

MONTH = "2026-11"


@dataclasses.dataclass
class Prepared:
    """A running fixture web, settings pointing at it, and a database with its customers."""

    world: World
    web: FixtureWeb
    settings: Settings
    config: Path
    template_db: Path


@contextlib.contextmanager
def prepared_world(folder: Path, companies: int, seed: int = 11, **crawler: Any) -> Iterator[Prepared]:
    """Fixture web + settings (short leases, so a killed worker's work comes back at once)
    + a template database with the world's five CSVs imported."""
    world = World.generate(companies, seed)
    with BackgroundFixtureWeb(world) as web:
        crawler.setdefault("lease_s", 1.0)
        settings = fixture_settings(web, **crawler)
        settings = dataclasses.replace(
            settings,
            # Small classify batches commit often, so a kill can land between two commits
            # however fast the machine classifies a small world.
            signals=dataclasses.replace(settings.signals, lease_s=1.0, documents_per_batch=4),
            daemon=dataclasses.replace(settings.daemon, health_port=0),
        )
        config = write_settings(settings, folder / "ascent.toml")
        template = folder / "template.db"
        import_world(world, template, config, folder / "csv")
        checkpoint(template)
        yield Prepared(world, web, settings, config, template)


def checkpoint(db: Path) -> None:
    """Fold the WAL into the main file so the database is one file that can be copied."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def copy_db(source: Path, target: Path) -> Path:
    checkpoint(source)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def run_ascent(
    db: Path, config: Path | None, *args: str, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ascent(db, config, *args),
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=timeout,
        check=False,
    )


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows from a read-only connection (waits for a writer's lock like the product does)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return list(conn.execute(sql, params).fetchall())


def integrity(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def wait_for(predicate: Any, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
