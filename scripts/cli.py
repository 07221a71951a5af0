"""The `ascent` command line: global options, then one subcommand per capability.

Exit codes: 0 success, 1 failure at run time, 2 bad input (usage, settings, CSV rows),
3 not found (an unknown domain, no database file), 4 storage unavailable (locked, read-only,
full, damaged), 5 the UI's address is in use (`serve`), 130 interrupted; errors become exit
codes and one line in ``scripts/exits.py``, never a traceback unless something is broken.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from scripts.commands import COMMANDS
from scripts.exits import exit_for
from scripts.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ascent",
        description="Crawl customers' public web presence, turn it into explained buying "
        "signals, score fit and intent, and export propensity reports.",
    )
    parser.add_argument(
        "--db", default=None, help="database file or postgresql:// URL (default: ./ascent.db or ASCENT_DB)"
    )
    parser.add_argument("--config", default=None, help="settings file (TOML)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        child = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.configure(child)
        child.set_defaults(handler=command.main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command: str | None = None
    try:
        load_settings(args.config)  # every command: a bad setting stops it before anything runs
        command = args.command
        return int(args.handler(args) or 0)
    except (Exception, KeyboardInterrupt) as exc:
        ending = exit_for(exc, command)
        if ending is None:
            raise
        if ending.message is not None:
            print(ending.message, file=sys.stderr)
        return ending.code


if __name__ == "__main__":
    sys.exit(main())
