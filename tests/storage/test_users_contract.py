"""The users and audit repositories' contract, on both backends: unique names, roles and
partners, the hash kept apart from what is listed, and an audit trail read newest first."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from storage.store import Store
from tests.support.storage import a_customer

ACTOR = "terminal"
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"


async def test_a_user_is_added_once_and_read_back_without_the_hash(any_store: Store) -> None:
    assert await any_store.users.add("ann", "viewer", ["P2", "P1", "P1"], HASH, actor=ACTOR)
    assert not await any_store.users.add("ann", "admin", [], "other", actor=ACTOR)
    user = await any_store.users.get("ann")
    assert user is not None
    assert (user.name, user.role, user.partners, user.disabled) == ("ann", "viewer", ("P1", "P2"), False)
    assert user.failed_signins == 0 and user.locked_until is None
    assert user.created_at == user.updated_at > 0
    assert HASH not in repr(user)
    assert await any_store.users.password_hash("ann") == HASH
    assert await any_store.users.get("bob") is None
    assert await any_store.users.password_hash("bob") is None


async def test_users_are_listed_by_name_and_counted(any_store: Store) -> None:
    assert await any_store.users.count() == 0
    await any_store.users.add("zoe", "executive", [], HASH, actor=ACTOR)
    await any_store.users.add("ann", "admin", [], HASH, actor=ACTOR)
    assert [u.name for u in await any_store.users.all()] == ["ann", "zoe"]
    assert await any_store.users.count() == 2


async def test_role_partners_password_and_disabled_change_only_an_existing_user(any_store: Store) -> None:
    await any_store.users.add("ann", "viewer", ["P1"], HASH, actor=ACTOR)
    assert await any_store.users.set_partners("ann", ["P3", "P2"], actor=ACTOR)
    assert await any_store.users.set_role("ann", "executive", [], actor=ACTOR)
    assert await any_store.users.set_password_hash("ann", "new-hash", actor=ACTOR)
    assert await any_store.users.set_disabled("ann", True, actor=ACTOR)
    user = await any_store.users.get("ann")
    assert user is not None
    assert (user.role, user.partners, user.disabled) == ("executive", (), True)
    assert user.updated_at >= user.created_at
    assert await any_store.users.password_hash("ann") == "new-hash"
    assert await any_store.users.set_role("ann", "global_viewer", actor=ACTOR)
    changed = await any_store.users.get("ann")
    assert changed is not None and (changed.role, changed.disabled) == ("global_viewer", True)
    for change in (
        any_store.users.set_partners("bob", ["P1"], actor=ACTOR),
        any_store.users.set_role("bob", "admin", actor=ACTOR),
        any_store.users.set_password_hash("bob", HASH, actor=ACTOR),
        any_store.users.set_disabled("bob", True, actor=ACTOR),
    ):
        assert not await change


async def test_a_role_outside_the_four_is_refused_by_the_database(any_store: Store) -> None:
    with pytest.raises(Exception):  # noqa: B017 - each backend names its own constraint error
        await any_store.users.add("ann", "superuser", [], HASH, actor=ACTOR)
    assert await any_store.users.count() == 0


async def test_a_removed_user_is_gone(any_store: Store) -> None:
    await any_store.users.add("ann", "admin", [], HASH, actor=ACTOR)
    assert await any_store.users.remove("ann", actor=ACTOR)
    assert not await any_store.users.remove("ann", actor=ACTOR)
    assert await any_store.users.get("ann") is None


async def test_each_change_is_audited_with_its_actor_and_a_no_op_is_not(any_store: Store) -> None:
    await any_store.users.add("ann", "viewer", ["P2", "P1"], HASH, actor="terminal")
    assert not await any_store.users.add("ann", "admin", [], HASH, actor="terminal")
    await any_store.users.set_partners("ann", ["P3"], actor="admin1")
    await any_store.users.set_role("ann", "executive", [], actor="admin1")
    await any_store.users.set_role("ann", "admin", actor="admin1")
    await any_store.users.set_password_hash("ann", "new-hash", actor="ann")
    await any_store.users.set_disabled("ann", True, actor="terminal")
    await any_store.users.set_disabled("ann", False, actor="terminal")
    await any_store.users.remove("ann", actor="terminal")
    assert not await any_store.users.remove("ann", actor="terminal")
    assert not await any_store.users.set_role("ann", "admin", actor="terminal")
    trail = [
        (e.actor, e.action, e.target, e.outcome, e.detail) for e in reversed(await any_store.audit.recent(50))
    ]
    assert trail == [
        ("terminal", "user.add", "ann", "ok", "role=viewer partners=P1,P2"),
        ("admin1", "user.set_partners", "ann", "ok", "partners=P3"),
        ("admin1", "user.set_role", "ann", "ok", "role=executive"),
        ("admin1", "user.set_role", "ann", "ok", "role=admin"),
        ("ann", "user.set_password", "ann", "ok", ""),
        ("terminal", "user.disable", "ann", "ok", ""),
        ("terminal", "user.enable", "ann", "ok", ""),
        ("terminal", "user.remove", "ann", "ok", ""),
    ]
    assert "new-hash" not in repr(trail)


async def test_a_change_whose_audit_entry_cannot_be_written_is_not_made(store: Store) -> None:
    await store.users.add("ann", "admin", [], HASH, actor=ACTOR)
    await store.db.execute("DROP TABLE audit")
    with pytest.raises(Exception):  # noqa: B017 - whatever the database says, the change must not stay
        await store.users.set_role("ann", "executive", actor=ACTOR)
    with pytest.raises(Exception):  # noqa: B017
        await store.users.add("bob", "admin", [], HASH, actor=ACTOR)
    user = await store.users.get("ann")
    assert user is not None and user.role == "admin"
    assert await store.users.get("bob") is None


async def test_partner_ids_are_those_of_the_imported_customers(any_store: Store) -> None:
    assert await any_store.users.partner_ids() == set()
    await any_store.customers.upsert_all(
        [
            a_customer("C1"),
            replace(a_customer("C2"), partner_id="P2"),
            replace(a_customer("C3"), partner_id=""),
        ]
    )
    assert await any_store.users.partner_ids() == {"P1", "P2"}


async def test_the_audit_trail_reads_newest_first_within_a_limit(any_store: Store) -> None:
    assert await any_store.audit.recent(10) == []
    await any_store.audit.record("terminal", "user.add", "ann", "ok", "role=admin")
    await any_store.audit.record("terminal", "user.remove", "ann", "ok")
    await any_store.audit.record("ann", "signin", "ann", "refused", "bad password")
    entries = await any_store.audit.recent(2)
    assert [(e.actor, e.action, e.target, e.outcome, e.detail) for e in entries] == [
        ("ann", "signin", "ann", "refused", "bad password"),
        ("terminal", "user.remove", "ann", "ok", ""),
    ]
    assert entries[0].at >= entries[1].at > 0
    assert len(await any_store.audit.recent(10)) == 3


def test_every_users_and_audit_method_has_a_contract_test() -> None:
    from storage import audit, users

    text = Path(__file__).read_text(encoding="utf-8")
    missing = [
        f"{name}.{method}"
        for name, protocol in {"users": users.UserRepository, "audit": audit.AuditRepository}.items()
        for method, value in vars(protocol).items()
        if not method.startswith("_") and callable(value) and not re.search(rf"\b{name}\.{method}\(", text)
    ]
    assert missing == []
