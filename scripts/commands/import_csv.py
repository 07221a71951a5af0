"""`ascent import KIND FILE`: validate a whole CSV file, then load all of it or nothing."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from intent.imports import FILE_KINDS, KINDS, parse_file, unknown_customer_errors
from scripts.context import settings_from, store_from
from scripts.exits import EXIT_BAD_INPUT

NAME = "import"
HELP = "import a CSV file: customers, products, agreements, fit or outcomes (all rows or none)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KINDS, help="what the file holds")
    parser.add_argument("file", type=Path, help="CSV file, UTF-8, header row")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args: argparse.Namespace) -> int:
    return asyncio.run(_import(args))


async def _import(args: argparse.Namespace) -> int:
    result = parse_file(args.kind, args.file)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    settings = settings_from(args)
    store = await store_from(args, settings)
    async with store:
        if result.ok and args.kind != "customers":
            known = await store.customers.existing_ids(result.referenced_customers)
            result.errors.extend(unknown_customer_errors(result, str(args.file), known))
        if not result.ok:
            for error in result.errors:
                print(error, file=sys.stderr)
            print(
                f"ascent import: {len(result.errors)} problem(s) in {args.file}; nothing imported",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        run_id = await store.runs.start("import", args.kind, {"file": str(args.file)})
        changed = await store.customers.upsert_all(result.records)
        summary = {"kind": args.kind, "rows": len(result.records), "changed": changed}
        await store.runs.finish(run_id, "ok", summary)
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"imported {len(result.records)} {FILE_KINDS[args.kind].name} row(s) "
            f"from {args.file} ({changed} new or changed)"
        )
    return 0
