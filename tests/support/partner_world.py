"""Two partners' customers in one scored month, the people who may see them, and a saved
report of each partner: the world of the sign-in and scope tests (UI and browser)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass
from pathlib import Path

from intent.monthly import run_month
from intent.report_definition import make_definition
from scripts.passwords import hash_password
from scripts.report_hub import build_claimed, claim, create_report
from scripts.settings import Settings
from storage.scope import Scope
from storage.store import Store, open_store
from tests.support.intent_world import Sig, add_customers, add_signals, customer

MONTH = "2026-11"
PASSWORD = "a long enough passphrase"
P1_CUSTOMERS = {"C1": "Alder Bakery", "C2": "Birch Mills"}
P2_CUSTOMERS = {"C3": "Cedar Freight", "C4": "Dogwood Labs"}
ACTOR = "terminal"


@dataclass(frozen=True)
class PartnerWorld:
    p1_report: int  # a report that the P1 viewer saved, with one built file
    p1_file: int
    p2_report: int  # the same, saved by the P2 viewer
    p2_file: int


def partner_world_in(db: Path) -> PartnerWorld:
    """The partner world written to the database file ``db``, from any test: it is built on a
    thread of its own, because Playwright's sync API holds the calling thread's event loop."""

    async def build() -> PartnerWorld:
        async with await open_store(db) as store:
            return await partner_world(store)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(build())).result()


async def partner_world(store: Store) -> PartnerWorld:
    """Customers of P1 and P2 scored for MONTH; users ``vera`` (viewer of P1), ``pete``
    (viewer of P2), ``erin`` (executive), ``adam`` (admin), all with PASSWORD."""
    people = [(cid, name, "P1", "Partner One") for cid, name in P1_CUSTOMERS.items()]
    people += [(cid, name, "P2", "Partner Two") for cid, name in P2_CUSTOMERS.items()]
    await add_customers(
        store,
        [
            customer(cid, account_name=name, partner_id=pid, partner_name=pname)
            for cid, name, pid, pname in people
        ],
    )
    await add_signals(store, [Sig(cid, "cloud_migration", "2026-11-10", ["Azure"]) for cid, *_ in people])
    await run_month(store.scores, store.runs, MONTH)
    hashed = hash_password(PASSWORD)
    for name, role, partners in (
        ("vera", "viewer", ["P1"]),
        ("pete", "viewer", ["P2"]),
        ("erin", "executive", []),
        ("adam", "admin", []),
    ):
        await store.users.add(name, role, partners, hashed, actor=ACTOR)
    p1 = await _built_report(store, "vera", Scope.of_partners(["P1"]))
    p2 = await _built_report(store, "pete", Scope.of_partners(["P2"]))
    return PartnerWorld(p1[0], p1[1], p2[0], p2[1])


async def _built_report(store: Store, user: str, scope: Scope) -> tuple[int, int]:
    from dataclasses import replace

    definition = make_definition(
        source="azure",
        columns=["CustomerID", "AccountName"],
        preset=None,
        filters=[],
        month=MONTH,
        name=f"{user}'s customers",
        format="csv",
        bom=False,
        scheduled=False,
    )
    record = await create_report(store, replace(definition, scope=scope), user)
    file_id = await claim(store, record)
    assert file_id is not None
    await build_claimed(store, Settings(), record, file_id)
    return record.report_id, file_id
