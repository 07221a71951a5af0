"""The `ascent` command line: global options, then one subcommand per capability.

Exit codes: 0 success, 1 failure at run time, 2 bad input (usage, settings, CSV rows),
3 not found (an unknown domain, no database file), 4 storage unavailable (locked, read-only,
full, damaged), 5 the UI's address is in use (`serve`), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence

from scripts.commands import COMMANDS
from scripts.exits import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_NOT_FOUND, EXIT_STORAGE
from scripts.settings import SettingsError, load_settings
from storage.db import is_storage_failure, translate
from storage.errors import DatabaseMissing, StorageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ascent",
        description="Crawl customers' public web presence, turn it into explained buying "
        "signals, score fit and intent, and export propensity reports.",
    )
    parser.add_argument("--db", default=None, help="database file (default: ./ascent.db or ASCENT_DB)")
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
    try:
        load_settings(args.config)  # every command: a bad setting stops it before anything runs
        return int(args.handler(args) or 0)
    except SettingsError as exc:
        print(f"ascent: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DatabaseMissing as exc:
        print(f"ascent: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except StorageError as exc:
        print(f"ascent: database: {exc}", file=sys.stderr)
        return EXIT_STORAGE
    except sqlite3.DatabaseError as exc:
        # A query that bypassed storage's wrappers met a damaged, locked or vanished file.
        if not is_storage_failure(exc):
            raise
        print(f"ascent: database: {translate(exc)}", file=sys.stderr)
        return EXIT_STORAGE
    except KeyboardInterrupt:
        print("ascent: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
