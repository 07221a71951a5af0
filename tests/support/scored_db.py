"""A database with one scored month, for the storage-exit tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scripts.devtools.soak import import_world, write_settings
from scripts.fixture_web import World
from scripts.settings import Settings
from tests.support.reliability import checkpoint, run_ascent

MONTH = "2026-11"


@dataclasses.dataclass
class Scored:
    db: Path  # imported and scored for MONTH
    config: Path
    domain: str
    csv: Path


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Scored:
    folder = tmp_path_factory.mktemp("storage-exits")
    world = World.generate(20, 7)
    config = write_settings(Settings(), folder / "ascent.toml")
    db = folder / "scored.db"
    import_world(world, db, config, folder / "csv")
    done = run_ascent(db, config, "monthly", "--month", MONTH)
    assert done.returncode == 0, done.stderr
    checkpoint(db)
    domain = world.companies[0].domain
    return Scored(db, config, domain, folder / "csv" / "customers.csv")
