"""`ascent import KIND FILE`: validate a whole CSV file, then load all of it or nothing."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from intent.imports import FILE_KINDS, KINDS, ImportResult, parse_file, unknown_customer_errors
from scripts.context import settings_from, store_from
from scripts.exits import EXIT_BAD_INPUT
from storage.store import Store

NAME = "import"
HELP = "import a CSV file: customers, products, agreements, fit or outcomes (all rows or none)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KINDS, help="what the file holds")
    parser.add_argument("file", type=Path, help="CSV file, UTF-8, header row")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args: argparse.Namespace) -> int:
    return asyncio.run(_import(args))


async def import_file(store: Store, kind: str, path: Path) -> tuple[ImportResult, dict[str, Any]]:
    """Validate a whole file and load it in one transaction; nothing is loaded on any error."""
    result = parse_file(kind, path)
    if result.ok and kind != "customers":
        known = await store.customers.existing_ids(result.referenced_customers)
        result.errors.extend(unknown_customer_errors(result, str(path), known))
    if not result.ok:
        return result, {}
    run_id = await store.runs.start("import", kind, {"file": str(path)})
    changed = await store.customers.upsert_all(result.records)
    summary = {"kind": kind, "rows": len(result.records), "changed": changed}
    await store.runs.finish(run_id, "ok", summary)
    return result, summary


async def _import(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = await store_from(args, settings)
    async with store:
        result, summary = await import_file(store, args.kind, args.file)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not result.ok:
        for error in result.errors:
            print(error, file=sys.stderr)
        print(
            f"ascent import: {len(result.errors)} problem(s) in {args.file}; nothing imported",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"imported {summary['rows']} {FILE_KINDS[args.kind].name} row(s) "
            f"from {args.file} ({summary['changed']} new or changed)"
        )
    return 0
