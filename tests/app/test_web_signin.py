"""Signing in to the UI over a real SQLite file: sessions (cookie, idle and absolute lifetime
on an injected clock, sign-out, a disabled user), the lock-out and the rate limit, CSRF tied to
the session, the trusted proxy header (off by default), the audit trail, no password in clear
anywhere, and each page limited to the viewer's partners (404 for another partner's things)."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from scripts.passwords import hash_password
from scripts.web import auth
from scripts.web.app import create_app
from scripts.web.settings import WebSettings
from storage.audit import AuditEntry
from storage.store import open_store
from tests.support.forms import form_token
from tests.support.partner_world import (
    MONTH,
    P1_CUSTOMERS,
    P2_CUSTOMERS,
    PASSWORD,
    PartnerWorld,
    partner_world_in,
)

ALL = {**P1_CUSTOMERS, **P2_CUSTOMERS}


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PartnerWorld]:
    db = tmp_path_factory.mktemp("signin") / "ascent.db"
    return db, partner_world_in(db)


@pytest.fixture(scope="module")
def db(world: tuple[Path, PartnerWorld]) -> Path:
    return world[0]


def _client(db: Path, clock: Clock | None = None, **web: Any) -> TestClient:
    settings = WebSettings(**{"signin_attempts_per_minute": 1000, **web})
    return TestClient(create_app(db, web=settings, clock=clock or Clock()), follow_redirects=False)


@pytest.fixture(scope="module")
def anon(db: Path) -> Iterator[TestClient]:
    with _client(db) as client:
        yield client


def _store_call(db: Path, call: Any) -> Any:
    async def go() -> Any:
        async with await open_store(db) as store:
            return await call(store)

    return asyncio.run(go())


def _add_user(db: Path, name: str, role: str = "viewer", partners: tuple[str, ...] = ("P1",)) -> None:
    hashed = hash_password(PASSWORD)
    _store_call(db, lambda s: s.users.add(name, role, list(partners), hashed, actor="terminal"))


def _audit(db: Path) -> list[AuditEntry]:
    entries: list[AuditEntry] = _store_call(db, lambda s: s.audit.recent(1000))
    return entries


def _sign_in(client: TestClient, name: str, password: str = PASSWORD, next_url: str = "/") -> Any:
    token = form_token(client, "/login")
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token, "next": next_url}
    )


def _replace_cookie(client: TestClient, value: str) -> None:
    client.cookies.clear()
    client.cookies.set(auth.SESSION_COOKIE, value)


def test_without_a_session_pages_send_to_sign_in_and_forms_are_refused(anon: TestClient, db: Path) -> None:
    answer = anon.get("/customers?area=Azure")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fcustomers%3Farea%3DAzure"
    for path in ("/matrix", "/signals", "/customers/C1", "/customers.csv", "/reports", "/match"):
        assert anon.get(path).status_code == 303, path
    assert anon.get("/healthz").status_code == 200
    assert anon.get("/static/app.css").status_code == 200
    assert anon.post("/reports", data={"action": "preview"}).status_code == 403
    assert ("anonymous", "access.refused", "/reports") in {(e.actor, e.action, e.target) for e in _audit(db)}


def test_a_sign_in_sets_a_signed_httponly_cookie_and_keeps_only_its_hash(db: Path) -> None:
    with _client(db) as client:
        answer = _sign_in(client, "vera", next_url="/signals")
        assert answer.status_code == 303 and answer.headers["location"] == "/signals"
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{auth.SESSION_COOKIE}=")
        for attribute in ("HttpOnly", "SameSite=lax", "Path=/", "Max-Age=43200"):
            assert attribute.lower() in cookie.lower()
        assert "secure" not in cookie.lower()  # plain http here; Secure over https
        token = client.cookies[auth.SESSION_COOKIE].split(".")[0]
        stored = _store_call(db, lambda s: s.db.fetchall("SELECT token_hash FROM sessions"))
        assert auth.token_hash(token) in {r[0] for r in stored}
        assert token not in {r[0] for r in stored}
        page = client.get("/signals")
        assert page.status_code == 200 and "vera" in page.text and page.headers["cache-control"] == "no-store"
        _replace_cookie(client, token + "." + "0" * 64)  # a forged signature
        assert client.get("/signals").status_code == 303
    assert ("vera", "signin", "ok") in {(e.actor, e.action, e.outcome) for e in _audit(db)}


def test_after_sign_in_only_pages_of_this_site_are_followed(db: Path) -> None:
    with _client(db) as client:
        for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/login"):
            answer = _sign_in(client, "erin", next_url=hostile)
            assert answer.headers["location"] == "/", hostile
            client.cookies.clear()


def test_repeated_wrong_passwords_lock_the_account_until_the_lockout_ends(db: Path) -> None:
    _add_user(db, "lena")
    clock = Clock()
    with _client(db, clock, signin_max_failures=3, signin_lockout_minutes=10) as client:
        for _ in range(3):
            answer = _sign_in(client, "lena", "not the password at all")
            assert answer.status_code == 401 and auth.FAILED in answer.text
        assert _sign_in(client, "lena").status_code == 401  # locked: even the right password
        clock.now += 9 * 60
        assert _sign_in(client, "lena").status_code == 401
        clock.now += 2 * 60
        assert _sign_in(client, "lena").status_code == 303
    trail = [(e.action, e.outcome, e.detail.split(";")[0]) for e in _audit(db) if e.target == "lena"]
    assert trail[:4] == [
        ("signin", "ok", "from testclient"),
        ("signin", "refused", "locked"),
        ("signin", "refused", "locked"),
        ("signin.lockout", "refused", "3 failures"),
    ]
    assert trail.count(("signin", "refused", "wrong password")) == 3


def test_an_unknown_name_is_checked_against_a_dummy_hash_and_audited(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = auth.verify

    def counting(stored: str, password: str) -> Any:
        checked.append(stored)
        return real(stored, password)

    monkeypatch.setattr(auth, "verify", counting)
    with _client(db) as client:
        answer = _sign_in(client, "nobody\x07here")
        assert answer.status_code == 401 and auth.FAILED in answer.text  # the same words as a wrong password
    assert len(checked) == 1 and checked[0].startswith("$argon2id$")  # as slow as a real check
    assert ("nobodyhere", "signin", "refused") in {(e.actor, e.action, e.outcome) for e in _audit(db)}


def test_sign_in_attempts_per_address_are_limited(db: Path) -> None:
    with _client(db, signin_attempts_per_minute=2) as client:
        assert _sign_in(client, "erin", "wrong password here").status_code == 401
        assert _sign_in(client, "erin", "wrong password here").status_code == 401
        assert _sign_in(client, "erin").status_code == 429  # not even checked
    assert any(e.detail.startswith("too many attempts") for e in _audit(db))


def test_a_session_ends_when_idle_too_long_and_at_its_absolute_lifetime(db: Path) -> None:
    clock = Clock()
    with _client(db, clock, session_idle_minutes=30, session_absolute_hours=2) as client:
        assert _sign_in(client, "erin").status_code == 303
        clock.now += 29 * 60
        assert client.get("/signals").status_code == 200  # used: the idle time starts again
        clock.now += 29 * 60
        assert client.get("/signals").status_code == 200
        clock.now += 31 * 60
        assert client.get("/signals").status_code == 303  # idle for 31 minutes
        assert _sign_in(client, "erin").status_code == 303
        for _ in range(4):  # busy every 25 minutes: still ended 2 hours after signing in
            clock.now += 25 * 60
            assert client.get("/signals").status_code == 200
        clock.now += 25 * 60
        assert client.get("/signals").status_code == 303
    reasons = [e.detail for e in _audit(db) if e.action == "session.expire" and e.actor == "erin"]
    assert reasons[:2] == ["absolute lifetime reached", "idle too long"]


def test_sign_out_ends_the_session_and_needs_its_token(db: Path) -> None:
    with _client(db) as client:
        assert _sign_in(client, "erin").status_code == 303
        cookie = client.cookies[auth.SESSION_COOKIE]
        assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
        token = re.search(r'id="signout-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
                          client.get("/signals").text)  # fmt: skip
        assert token is not None
        answer = client.post("/logout", data={"csrf_token": token.group(1)})
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
        _replace_cookie(client, cookie)  # the old cookie, replayed
        assert client.get("/signals").status_code == 303
    assert ("erin", "signout") in {(e.actor, e.action) for e in _audit(db)}


def test_a_form_token_belongs_to_its_session(db: Path) -> None:
    with _client(db) as first, _client(db) as second:
        before_sign_in = form_token(first, "/login")
        _sign_in(first, "erin")
        _sign_in(second, "erin")
        theirs = form_token(first, "/reports")
        assert form_token(second, "/reports") != theirs
        refused = second.post("/reports", data={"csrf_token": theirs, "action": "preview"})
        assert refused.status_code == 403
        assert second.post("/reports", data={"action": "preview"}).status_code == 403  # no token at all
        assert (
            second.post("/reports", data={"csrf_token": "s.\u00e9", "action": "preview"}).status_code == 403
        )
        assert (
            first.post("/reports", data={"csrf_token": before_sign_in, "action": "preview"}).status_code
            == 403
        )


def test_disabling_or_removing_a_user_ends_their_sessions_at_once(db: Path) -> None:
    _add_user(db, "dina")
    _add_user(db, "rory")
    with _client(db) as dina, _client(db) as rory:
        _sign_in(dina, "dina")
        _sign_in(rory, "rory")
        assert dina.get("/signals").status_code == 200 and rory.get("/signals").status_code == 200
        _store_call(db, lambda s: s.users.set_disabled("dina", True, actor="terminal"))
        _store_call(db, lambda s: s.users.remove("rory", actor="terminal"))
        assert dina.get("/signals").status_code == 303 and rory.get("/signals").status_code == 303
        assert _sign_in(dina, "dina").status_code == 401


def test_the_proxy_header_is_ignored_unless_configured_and_from_a_trusted_address(db: Path) -> None:
    header = {"X-Remote-User": "erin"}
    with _client(db) as client:
        assert client.get("/signals", headers=header).status_code == 303  # off by default
    with _client(db, trusted_proxy_header="X-Remote-User", trusted_proxies=["10.0.0.1"]) as client:
        assert client.get("/signals", headers=header).status_code == 303  # "testclient" is not trusted
    with _client(db, trusted_proxy_header="X-Remote-User", trusted_proxies=["testclient"]) as client:
        assert client.get("/signals", headers=header).status_code == 200
        assert client.get("/signals", headers={"X-Remote-User": "mallory"}).status_code == 303
    assert ("mallory", "signin.proxy", "refused") in {(e.actor, e.action, e.outcome) for e in _audit(db)}


def test_forwarded_headers_are_believed_only_from_a_trusted_proxy(db: Path) -> None:
    forwarded = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9", "X-Forwarded-Proto": "https"}
    for trusted, address, secure in (([], "testclient", False), (["testclient"], "203.0.113.9", True)):
        with _client(db, trusted_proxies=trusted) as client:
            client.headers.update(forwarded)
            answer = _sign_in(client, "erin")
            assert ("secure" in answer.headers["set-cookie"].lower()) is secure
        latest = next(e for e in _audit(db) if e.action == "signin" and e.actor == "erin")
        assert latest.detail == f"from {address}"


def test_no_password_in_clear_in_the_database_or_the_logs(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with _client(db) as client, _client(db) as other:
        _sign_in(client, "vera")
        _sign_in(other, "erin", PASSWORD + " typo")
    files = [db, *db.parent.glob(db.name + "-*")]
    assert all(PASSWORD.encode() not in path.read_bytes() for path in files)
    assert PASSWORD not in caplog.text
    assert all(PASSWORD not in f"{e.detail} {e.target}" for e in _audit(db))


# --- scopes -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vera(db: Path) -> Iterator[TestClient]:
    with _client(db) as client:
        assert _sign_in(client, "vera").status_code == 303
        yield client


def _ids(text: str) -> set[str]:
    return set(re.findall(r"/customers/(C\d)", text))


def test_a_viewer_sees_only_their_partners_customers_on_every_page(vera: TestClient, db: Path) -> None:
    assert _ids(vera.get(f"/customers?month={MONTH}&area=Azure").text) == set(P1_CUSTOMERS)
    assert _ids(vera.get("/signals").text) == set(P1_CUSTOMERS)
    matrix = vera.get(f"/matrix?month={MONTH}&area=Azure").text
    assert re.search(r"\b2\b", matrix) and not any(name in matrix for name in P2_CUSTOMERS.values())
    rows = list(
        csv.reader(io.StringIO(vera.get(f"/customers.csv?month={MONTH}&area=Azure").text.lstrip("\ufeff")))
    )
    assert {r[0] for r in rows[1:]} == set(P1_CUSTOMERS)
    for cid in P1_CUSTOMERS:
        assert vera.get(f"/customers/{cid}").status_code == 200
    for cid in P2_CUSTOMERS:
        assert vera.get(f"/customers/{cid}").status_code == 404
    assert vera.get("/customers/C9").status_code == 404  # unknown: the same answer
    refused = [e for e in _audit(db) if e.actor == "vera" and e.action == "access.refused"]
    assert {e.target for e in refused} >= {f"/customers/{cid}" for cid in P2_CUSTOMERS}


def test_a_viewer_finds_only_their_own_reports_and_files(
    vera: TestClient, world: tuple[Path, PartnerWorld]
) -> None:
    built = world[1]
    page = vera.get("/reports").text
    assert f"report-{built.p1_report}" in page and f"report-{built.p2_report}" not in page
    mine = vera.get(f"/reports/{built.p1_report}/files/{built.p1_file}")
    assert mine.status_code == 200
    assert {r[0] for r in list(csv.reader(io.StringIO(mine.text.lstrip("\ufeff"))))[1:]} == set(P1_CUSTOMERS)
    assert vera.get(f"/reports/{built.p2_report}/files/{built.p2_file}").status_code == 404
    assert vera.get(f"/reports/{built.p1_report}/files/{built.p2_file}").status_code == 404
    token = form_token(vera, "/reports")
    assert vera.post(f"/reports/{built.p2_report}/delete", data={"csrf_token": token}).status_code == 404
    preview = vera.post(
        "/reports",
        data={"csrf_token": token, "action": "preview", "source": "azure", "columns": "CustomerID",
              "month": MONTH, "format": "csv"},
    )  # fmt: skip
    assert preview.status_code == 200
    assert set(re.findall(r"<td>(C\d)</td>", preview.text)) == set(P1_CUSTOMERS)


def test_a_file_built_for_more_partners_than_its_creator_now_has_is_gone(
    db: Path, world: tuple[Path, PartnerWorld]
) -> None:
    built = world[1]
    _store_call(db, lambda s: s.users.add("pia", "viewer", ["P1"], "x", actor="terminal"))
    _store_call(db, lambda s: s.db.execute("UPDATE report_definitions SET created_by = 'pia' WHERE report_id = ?",
                                           (built.p2_report,)))  # fmt: skip
    _store_call(db, lambda s: s.users.remove("pia", actor="terminal"))
    hashed = hash_password(PASSWORD)
    _store_call(db, lambda s: s.users.add("pia", "viewer", ["P1"], hashed, actor="terminal"))
    with _client(db) as pia:
        _sign_in(pia, "pia")
        assert pia.get(f"/reports/{built.p2_report}/files/{built.p2_file}").status_code == 404
    _store_call(db, lambda s: s.db.execute("UPDATE report_definitions SET created_by = 'pete' WHERE report_id = ?",
                                           (built.p2_report,)))  # fmt: skip


def test_an_executive_sees_every_partner(db: Path) -> None:
    with _client(db) as erin:
        _sign_in(erin, "erin")
        assert _ids(erin.get(f"/customers?month={MONTH}&area=Azure").text) == set(ALL)
        assert _ids(erin.get("/signals").text) == set(ALL)
        assert all(erin.get(f"/customers/{cid}").status_code == 200 for cid in ALL)


def test_with_no_accounts_the_ui_is_open_and_sign_in_is_not_needed(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    _store_call(empty, lambda s: s.users.count())
    with _client(empty) as client:
        assert client.get("/signals").status_code == 200
        assert client.get("/login").headers["location"] == "/"
