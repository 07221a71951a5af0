"""`pip install .` carries the app, never the developer tools."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the tracked files: a build/ folder left in the checkout by an earlier
    # build would otherwise leak its stale modules into the wheel.
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("ascent-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


@pytest.mark.slow
def test_the_wheel_carries_no_benchmark_eval_fuzz_or_soak_module(wheel_names: list[str]) -> None:
    tools = [name for name in wheel_names if name.startswith("scripts/devtools/")]
    loose = [
        name
        for name in wheel_names
        if name.startswith("scripts/") and Path(name).name.startswith(("bench_", "eval_", "fuzz", "soak", "fit_head"))
    ]
    assert tools == [] and loose == []


@pytest.mark.slow
def test_the_wheel_carries_the_app_the_fixture_web_and_the_shipped_head(wheel_names: list[str]) -> None:
    for needed in (
        "scripts/cli.py",
        "scripts/fixture_web/server.py",
        "scripts/web/templates/base.html",
        "signals/head.npz",
        "signals/role_model.npz",
        "signals/taxonomy.toml",
    ):
        assert needed in wheel_names, needed
