"""Loading a customer CSV file into the store: the whole file validated, then all of it
loaded in one transaction, or nothing (``ascent import`` and the demo)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from intent.import_spool import ImportSpool
from intent.imports import ImportResult, scan_file, unknown_customers_in
from storage.customers import ImportRecord
from storage.store import Store

BATCH_ROWS = 500


async def import_file(store: Store, kind: str, path: Path) -> tuple[ImportResult, dict[str, Any]]:
    """Validate a whole file, then load it in one transaction; nothing is loaded on any error.

    The file is streamed once: every valid row goes to a scratch spool on disk with the keys
    seen so far, and the load reads the spool back in batches. Memory stays flat in the
    file's size.
    """
    result = ImportResult(kind)
    rows = 0
    with ImportSpool() as spool:
        for batch in _batches(scan_file(kind, path, result, spool)):
            rows += len(batch)
            for line, record in batch:
                spool.keep(line, record)
            if kind != "customers":
                known = await store.customers.existing_ids(getattr(r, "customer_id", "") for _, r in batch)
                result.errors.extend(unknown_customers_in(batch, str(path), known))
        if kind == "customers" and result.ok:
            result.errors.extend(await _stored_domain_conflicts(store, spool, str(path)))
        if not result.ok:
            return result, {}
        run_id = await store.runs.start("import", kind, {"file": str(path)})
        changed = await store.customers.upsert_batches(spool.kept(BATCH_ROWS))
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


async def _stored_domain_conflicts(store: Store, spool: ImportSpool, name: str) -> list[str]:
    """Rows whose domain a stored customer already has, unless this file gives that one another.

    (Errors come in line order: ``entries`` are ordered by line.)
    """
    errors = []
    for batch in spool.entries("domain"):
        owners = await store.customers.domain_owners(str(domain) for domain, _, _ in batch)
        for domain, line, customer_id in batch:
            for owner in owners.get(str(domain), []):
                moved = spool.get("key", [owner])  # (line, domain) when this file imports the owner
                if owner != customer_id and (moved is None or moved[1] == domain):
                    errors.append(
                        f"{name}:{line}: Domain: {domain!r} is already the domain of stored customer "
                        f"{owner!r}; one customer per registrable domain"
                    )
    return errors
