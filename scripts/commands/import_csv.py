"""`ascent import KIND FILE`: validate a whole CSV file, then load all of it or nothing."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from common.errors import InputError
from intent.imports import FILE_KINDS, KINDS
from scripts.context import settings_from, store_from

NAME = "import"
HELP = "import a CSV file: customers, products, agreements, fit or outcomes (all rows or none)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KINDS, help="what the file holds")
    parser.add_argument("file", type=Path, help="CSV file, UTF-8, header row")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args: argparse.Namespace) -> int:
    return asyncio.run(_import(args))


async def _import(args: argparse.Namespace) -> int:
    from scripts.imports import import_file

    settings = settings_from(args)
    store = await store_from(args, settings)
    async with store:
        result, summary = await import_file(store, args.kind, args.file)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not result.ok:
        for error in result.errors:
            print(error, file=sys.stderr)
        raise InputError(f"{len(result.errors)} problem(s) in {args.file}; nothing imported")
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"imported {summary['rows']} {FILE_KINDS[args.kind].name} row(s) "
            f"from {args.file} ({summary['changed']} new or changed)"
        )
    return 0
