"""`ascent import KIND FILE`: validate a whole CSV file, then load all of it or nothing."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from intent.imports import FILE_KINDS, KINDS, ImportResult, scan_file, unknown_customers_in
from intent.seen_keys import SeenKeys
from scripts.context import settings_from, store_from
from scripts.exits import EXIT_BAD_INPUT
from storage.customers import ImportRecord
from storage.store import Store

NAME = "import"
HELP = "import a CSV file: customers, products, agreements, fit or outcomes (all rows or none)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KINDS, help="what the file holds")
    parser.add_argument("file", type=Path, help="CSV file, UTF-8, header row")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def main(args: argparse.Namespace) -> int:
    return asyncio.run(_import(args))


BATCH_ROWS = 500


class FileChanged(RuntimeError):
    """The file changed between validation and loading; the load is rolled back."""


async def import_file(store: Store, kind: str, path: Path) -> tuple[ImportResult, dict[str, Any]]:
    """Validate a whole file, then load it in one transaction; nothing is loaded on any error.

    The file is read twice, streamed: once to validate every row (keys seen so far are kept on
    disk), once to load. Memory stays flat in the file's size.
    """
    result = ImportResult(kind)
    validated = hashlib.sha256()
    rows = 0
    with SeenKeys() as seen:
        for batch in _batches(scan_file(kind, path, result, seen, validated)):
            rows += len(batch)
            if kind != "customers":
                known = await store.customers.existing_ids(getattr(r, "customer_id", "") for _, r in batch)
                result.errors.extend(unknown_customers_in(batch, str(path), known))
        if kind == "customers" and result.ok:
            result.errors.extend(await _stored_domain_conflicts(store, seen, str(path)))
    if not result.ok:
        return result, {}
    run_id = await store.runs.start("import", kind, {"file": str(path)})
    try:
        changed = await store.customers.upsert_batches(_reloaded(kind, path, validated.hexdigest()))
    except FileChanged as exc:
        await store.runs.finish(run_id, "failed", {"error": str(exc)})
        result.errors.append(f"{path}:0: file: {exc}")
        return result, {}
    summary = {"kind": kind, "rows": rows, "changed": changed}
    await store.runs.finish(run_id, "ok", summary)
    return result, summary


def _batches(rows: Iterable[tuple[int, ImportRecord]]) -> Iterator[list[tuple[int, ImportRecord]]]:
    batch: list[tuple[int, ImportRecord]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _reloaded(kind: str, path: Path, expected: str) -> Iterator[list[ImportRecord]]:
    """The validated file read again in batches; FileChanged when its bytes differ now."""
    result = ImportResult(kind)
    digest = hashlib.sha256()
    with SeenKeys() as seen:
        for batch in _batches(scan_file(kind, path, result, seen, digest)):
            yield [record for _, record in batch]
    if not result.ok or digest.hexdigest() != expected:
        raise FileChanged("changed while it was imported; import it again")


async def _stored_domain_conflicts(store: Store, seen: SeenKeys, name: str) -> list[str]:
    """Rows whose domain a stored customer already has, unless this file gives that one another.

    (Errors come in line order: ``entries`` are ordered by line.)
    """
    errors = []
    for batch in seen.entries("domain"):
        owners = await store.customers.domain_owners(str(domain) for domain, _, _ in batch)
        for domain, line, customer_id in batch:
            for owner in owners.get(str(domain), []):
                moved = seen.get("key", [owner])  # (line, domain) when this file imports the owner
                if owner != customer_id and (moved is None or moved[1] == domain):
                    errors.append(
                        f"{name}:{line}: Domain: {domain!r} is already the domain of stored customer "
                        f"{owner!r}; one customer per registrable domain"
                    )
    return errors


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
