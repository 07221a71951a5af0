"""The command line contract of SPEC §10: every subcommand exists and answers --help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scripts.cli import build_parser

SPEC_COMMANDS = [
    "import",
    "crawl",
    "classify",
    "extract",
    "sources",
    "monthly",
    "export",
    "explain",
    "validate",
    "serve",
    "run",
    "fixture-web",
    "demo",
]


def test_help_lists_every_subcommand() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in SPEC_COMMANDS:
        assert f"    {command} " in out or f"    {command}\n" in out, command


@pytest.mark.parametrize("command", SPEC_COMMANDS)
def test_each_subcommand_has_help(command: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0


def test_global_options_come_before_the_subcommand() -> None:
    args = build_parser().parse_args(["--db", "x.db", "--config", "a.toml", "import", "fit", "f.csv"])
    assert (args.db, args.config, args.kind) == ("x.db", "a.toml", "fit")


def test_unknown_subcommand_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["frobnicate"])
    assert exit_info.value.code == 2
