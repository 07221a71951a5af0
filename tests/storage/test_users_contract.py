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


async def test_wrong_passwords_lock_the_account_and_a_sign_in_clears_the_count(any_store: Store) -> None:
    await any_store.users.add("ann", "viewer", ["P1"], HASH, actor=ACTOR)
    for _ in range(2):
        assert not await any_store.users.signin_failed(
            "ann", now=1000.0, max_failures=3, lockout_s=60, detail="wrong password"
        )
    user = await any_store.users.get("ann")
    assert user is not None and (user.failed_signins, user.locked_until) == (2, None)
    assert await any_store.users.signin_failed("ann", now=1000.0, max_failures=3, lockout_s=60, detail="x")
    user = await any_store.users.get("ann")
    assert user is not None and (user.failed_signins, user.locked_until) == (0, 1060.0)
    await any_store.users.signin_succeeded("ann", detail="from 127.0.0.1")
    user = await any_store.users.get("ann")
    assert user is not None and (user.failed_signins, user.locked_until) == (0, None)
    actions = [(e.action, e.outcome) for e in await any_store.audit.recent(10)]
    assert actions[:3] == [("signin", "ok"), ("signin.lockout", "refused"), ("signin", "refused")]
    assert actions.count(("signin", "refused")) == 3


async def test_sessions_start_end_and_end_with_their_user(any_store: Store) -> None:
    await any_store.users.add("ann", "viewer", ["P1"], HASH, actor=ACTOR)
    await any_store.users.add("bob", "executive", [], HASH, actor=ACTOR)
    for token, name in (("t1", "ann"), ("t2", "ann"), ("t3", "bob"), ("t4", "bob")):
        await any_store.sessions.start(token, name, 100.0)
    await any_store.sessions.touch("t1", 150.0)
    found = await any_store.sessions.get("t1")
    assert found is not None and (found.user_name, found.created_at, found.last_seen_at) == (
        "ann",
        100.0,
        150.0,
    )
    assert await any_store.sessions.end("t1") and not await any_store.sessions.end("t1")
    assert await any_store.users.set_disabled("ann", True, actor=ACTOR)  # ends t2
    assert await any_store.sessions.get("t2") is None
    assert await any_store.sessions.end_all("bob") == 2
    await any_store.sessions.start("t5", "bob", 100.0)
    await any_store.sessions.start("t6", "bob", 500.0)
    assert await any_store.sessions.forget_older(started_before=200.0, seen_before=0.0) == 1
    assert await any_store.users.remove("bob", actor=ACTOR)  # ends t6
    assert await any_store.sessions.get("t6") is None
    key = await any_store.sessions.secret("signing")
    assert len(key) == 64 and await any_store.sessions.secret("signing") == key
    assert await any_store.sessions.secret("other") != key


def test_a_viewer_sees_their_partners_and_every_other_role_everything() -> None:
    from storage.scope import EVERYTHING, NOTHING, Scope
    from storage.users import User, scope_of

    viewer = User("ann", "viewer", ("P1",), False, 0.0, 0.0)
    assert scope_of(viewer) == Scope.of_partners(["P1"])
    assert scope_of(replace(viewer, partners=())) == NOTHING
    for role in ("global_viewer", "executive", "admin"):
        assert scope_of(replace(viewer, role=role)) == EVERYTHING
        assert scope_of(replace(viewer, role=role, disabled=True)) == NOTHING
    assert Scope.of_partners(["P1", "P2"]).within(Scope.of_partners(["P2"])) == Scope.of_partners(["P2"])
    assert EVERYTHING.within(NOTHING) == NOTHING
    assert Scope.from_text(Scope.of_partners(["P2"]).to_text()) == Scope.of_partners(["P2"])
    assert Scope.from_text(None) == EVERYTHING and Scope.from_text("{bad") == NOTHING
    p1, both = Scope.of_partners(["P1"]), Scope.of_partners(["P1", "P2"])
    assert both.covers(p1) and not p1.covers(both) and EVERYTHING.covers(both) and not both.covers(EVERYTHING)


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
