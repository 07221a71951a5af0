"""`ascent users` and `ascent audit` on a real SQLite file: accounts added and changed, bad
input refused (exit 2) and unknown users reported (exit 3), every change in the audit trail,
and the password in clear nowhere: not in the database file, not in any output."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from scripts.cli import main as cli
from storage.store import open_store
from tests.support.storage import a_customer

PASSWORD = "correct horse battery staple"


def _customers(db: Path, partners: tuple[str, ...] = ("P1", "P2")) -> None:
    async def go() -> None:
        async with await open_store(db) as store:
            await store.customers.upsert_all(
                [replace(a_customer(f"C{i}"), partner_id=p) for i, p in enumerate(partners)]
            )

    asyncio.run(go())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "users.db"
    _customers(path)
    return path


def _run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db: Path,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _add(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db: Path,
    name: str,
    role: str,
    *partners: str,
    stdin: str = PASSWORD,
) -> tuple[int, str, str]:
    """``ascent users add NAME --role ROLE [--partner P …] --password-stdin``."""
    given = [arg for partner in partners for arg in ("--partner", partner)]
    return _run(
        capsys, monkeypatch, db, "users", "add", name, "--role", role, *given, "--password-stdin", stdin=stdin
    )


def _users(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: Path) -> dict[str, dict]:
    code, out, _ = _run(capsys, monkeypatch, db, "users", "list", "--json")
    assert code == 0
    return {u["name"]: u for u in json.loads(out)}


def _audit(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: Path) -> list[dict]:
    code, out, _ = _run(capsys, monkeypatch, db, "audit", "--json", "--limit", "100")
    assert code == 0
    return list(reversed(json.loads(out)))


def test_users_are_added_changed_and_removed_each_change_audited(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = lambda *a, stdin="": _run(capsys, monkeypatch, db, *a, stdin=stdin)  # noqa: E731
    assert _add(capsys, monkeypatch, db, "ann", "viewer", "P1", stdin=PASSWORD + "\n")[0] == 0
    assert _add(capsys, monkeypatch, db, "eve", "executive")[0] == 0
    assert run("users", "set-partners", "ann", "P1", "P2")[0] == 0
    assert run("users", "set-role", "eve", "viewer", "--partner", "P2")[0] == 0
    assert run("users", "set-role", "ann", "global_viewer")[0] == 0
    assert run("users", "disable", "eve")[0] == 0
    users = _users(capsys, monkeypatch, db)
    assert {n: (u["role"], u["partners"], u["disabled"]) for n, u in users.items()} == {
        "ann": ("global_viewer", [], False),
        "eve": ("viewer", ["P2"], True),
    }
    assert run("users", "enable", "eve")[0] == 0
    assert run("users", "set-password", "eve", "--password-stdin", stdin="another long password")[0] == 0
    assert run("users", "remove", "ann")[0] == 0
    assert list(_users(capsys, monkeypatch, db)) == ["eve"]
    trail = [
        (e["actor"], e["action"], e["target"], e["outcome"], e["detail"])
        for e in _audit(capsys, monkeypatch, db)
    ]
    assert trail == [
        ("terminal", "user.add", "ann", "ok", "role=viewer partners=P1"),
        ("terminal", "user.add", "eve", "ok", "role=executive"),
        ("terminal", "user.set_partners", "ann", "ok", "partners=P1,P2"),
        ("terminal", "user.set_role", "eve", "ok", "role=viewer partners=P2"),
        ("terminal", "user.set_role", "ann", "ok", "role=global_viewer"),
        ("terminal", "user.disable", "eve", "ok", ""),
        ("terminal", "user.enable", "eve", "ok", ""),
        ("terminal", "user.set_password", "eve", "ok", ""),
        ("terminal", "user.remove", "ann", "ok", ""),
    ]
    code, out, _ = run("audit", "--limit", "1")
    assert code == 0 and out.count("\n") == 1 and "user.remove" in out and "terminal" in out


def test_the_text_listing_shows_roles_partners_and_state(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = _run(capsys, monkeypatch, db, "users", "list")
    assert code == 0 and "no users" in out
    _add(capsys, monkeypatch, db, "ann", "viewer", "P2", "P1")
    code, out, _ = _run(capsys, monkeypatch, db, "users", "list")
    assert code == 0
    assert out.splitlines()[1].split() == ["ann", "viewer", "active", "P1,P2"]


@pytest.mark.parametrize(
    ("args", "stdin", "problem"),
    [
        (("add", "Ann", "--role", "admin"), PASSWORD, "name 'Ann'"),
        (("add", "a" * 65, "--role", "admin"), PASSWORD, "1-64 characters"),
        (("add", "a b", "--role", "admin"), PASSWORD, "name 'a b'"),
        (("add", "terminal", "--role", "admin"), PASSWORD, "reserved"),
        (("add", "ann", "--role", "viewer"), PASSWORD, "a viewer needs at least one partner"),
        (
            ("add", "ann", "--role", "viewer", "--partner", "P9"),
            PASSWORD,
            "P9: not a PartnerID of the imported",
        ),
        (("add", "ann", "--role", "viewer", "--partner", "<b>"), PASSWORD, "not a PartnerID"),
        (("add", "ann", "--role", "executive", "--partner", "P1"), PASSWORD, "only a viewer"),
        (("add", "ann", "--role", "admin"), "short pass", "at least 12 characters"),
        (("add", "ann", "--role", "admin"), "", "at least 12 characters"),
        (("add", "ann", "--role", "admin"), "x" * 1025, "at most 1024 characters"),
        (("add", "ann", "--role", "admin"), "tab\there-is-long", "control characters"),
    ],
)
def test_bad_input_is_refused_with_exit_2_and_changes_nothing(
    db: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    stdin: str,
    problem: str,
) -> None:
    code, _, err = _run(capsys, monkeypatch, db, "users", *args, "--password-stdin", stdin=stdin)
    assert code == 2, err
    assert problem in err
    assert err.startswith("ascent users: ")
    assert _users(capsys, monkeypatch, db) == {}
    assert _audit(capsys, monkeypatch, db) == []


@pytest.mark.parametrize(
    "args",
    [
        ("--role", "admin", "--password", PASSWORD),  # the password is never an argument
        ("--role", "admin"),  # nor taken without --password-stdin saying where it comes from
        ("--role", "root", "--password-stdin"),
    ],
)
def test_usage_errors_exit_2(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        _run(capsys, monkeypatch, db, "users", "add", "ann", *args, stdin=PASSWORD)
    assert stopped.value.code == 2
    assert _users(capsys, monkeypatch, db) == {}


def test_a_taken_name_and_partners_without_customers_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.db"
    code, _, err = _add(capsys, monkeypatch, empty, "ann", "viewer", "P1")
    assert code == 2 and "no customers are imported yet" in err
    assert _add(capsys, monkeypatch, empty, "ann", "admin")[0] == 0
    code, _, err = _add(capsys, monkeypatch, empty, "ann", "executive")
    assert code == 2 and "exists already" in err
    assert _users(capsys, monkeypatch, empty)["ann"]["role"] == "admin"


def test_role_and_partner_changes_keep_a_viewer_limited(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(capsys, monkeypatch, db, "eve", "executive")
    code, _, err = _run(capsys, monkeypatch, db, "users", "set-role", "eve", "viewer")
    assert code == 2 and "a viewer needs at least one partner" in err
    code, _, err = _run(capsys, monkeypatch, db, "users", "set-partners", "eve", "P1")
    assert code == 2 and "only a viewer has partners" in err
    assert _users(capsys, monkeypatch, db)["eve"]["role"] == "executive"
    assert [e["action"] for e in _audit(capsys, monkeypatch, db)] == ["user.add"]


@pytest.mark.parametrize(
    "args",
    [
        ("set-role", "bob", "admin"),
        ("set-partners", "bob", "P1"),
        ("disable", "bob"),
        ("enable", "bob"),
        ("remove", "bob"),
    ],
)
def test_an_unknown_user_exits_3(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    code, _, err = _run(capsys, monkeypatch, db, "users", *args)
    assert code == 3, err
    assert "bob: no such user" in err
    assert _audit(capsys, monkeypatch, db) == []


def test_an_unknown_user_gets_no_new_password(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = _run(
        capsys, monkeypatch, db, "users", "set-password", "bob", "--password-stdin", stdin=PASSWORD
    )
    assert code == 3 and "bob: no such user" in err


def test_audit_limit_is_checked(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for bad in ("0", "-1", "many", "100001"):
        with pytest.raises(SystemExit) as stopped:
            _run(capsys, monkeypatch, db, "audit", "--limit", bad)
        assert stopped.value.code == 2
    code, out, _ = _run(capsys, monkeypatch, db, "audit")
    assert code == 0 and "empty" in out


def test_no_clear_text_password_in_the_database_file_or_any_output(tmp_path: Path) -> None:
    """Through the installed command, as a user runs it: the password goes in on stdin and
    comes out nowhere, not in the database's bytes (WAL included), not in stdout, stderr or
    the logs."""
    db = tmp_path / "secret.db"
    _customers(db)
    secret = "Zq8-unguessable-passphrase-7x"
    outputs: list[str] = []

    def ascent(*args: str, stdin: str = "") -> None:
        done = subprocess.run(
            [sys.executable, "-m", "scripts.cli", "--db", str(db), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.extend((done.stdout, done.stderr))

    ascent(
        "users", "add", "ann", "--role", "viewer", "--partner", "P1", "--password-stdin", stdin=secret + "\n"
    )
    ascent("users", "set-password", "ann", "--password-stdin", stdin=secret + "-2\n")
    ascent("users", "list", "--json")
    ascent("users", "list")
    ascent("audit", "--json")
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("secret.db"))
    assert b"$argon2id$" in stored  # the hash is there, so the search below looks in the right place
    for form in (secret, secret.upper(), secret[:12]):
        assert form.encode() not in stored
        assert form.encode("utf-16-le") not in stored
        assert all(form not in text for text in outputs)
    assert all("$argon2" not in text for text in outputs)


def test_no_password_in_log_records(
    db: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _add(capsys, monkeypatch, db, "ann", "admin")
    assert caplog.records  # the database driver's debug lines, parameters and all, were captured
    assert all(PASSWORD not in r.getMessage() for r in caplog.records)
    # The hash reaches only the driver's debug lines, which ascent's logging keeps silent.
    assert all("$argon2" not in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (("users", "add"), ("--role", "--partner", "--password-stdin", "12-1024", "audit trail")),
        (("users", "list"), ("--json",)),
        (("users", "set-role"), ("ROLE", "--partner")),
        (("users", "set-partners"), ("PARTNER",)),
        (("users", "set-password"), ("--password-stdin",)),
        (("audit",), ("--json", "--limit", "user.add")),
    ],
)
def test_help_explains_every_option(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], mentions: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli([*args, "--help"])
    out = capsys.readouterr().out
    assert stopped.value.code == 0
    assert all(word in out for word in mentions)


def test_every_option_of_users_and_audit_has_help_text() -> None:
    import argparse

    from scripts.cli import build_parser

    def parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
        found = [parser]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    found += parsers(child)
        return found

    root = build_parser()
    commands = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction)).choices
    undocumented = [
        f"{parser.prog} {action.dest}"
        for name in ("users", "audit")
        for parser in parsers(commands[name])
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction) and not action.help
    ]
    assert undocumented == []


@pytest.mark.parametrize("args", [("users", "list"), ("audit",)])
def test_listing_a_missing_database_exits_3_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    missing = tmp_path / "mistyped.db"
    code, _, err = _run(capsys, monkeypatch, missing, *args)
    assert code == 3 and "no database" in err
    assert not missing.exists()


def test_a_removed_users_reports_go_with_them_and_a_new_namesake_inherits_nothing(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from storage.reports import ReportRecord

    kept_file = tmp_path / "report-1.csv"
    kept_file.write_text("CustomerID\n")

    async def saved(name: str) -> int:
        async with await open_store(db) as store:
            record = ReportRecord(
                source="azure", columns=("CustomerID",), filters=(), month="", name="n", format="csv"
            )
            report_id = await store.reports.create(record, created_by=name)
            file_id = await store.reports.claim_file(report_id, "2026-11")
            assert file_id is not None
            await store.reports.finish(file_id, "done", row_count=1, byte_size=11, path=str(kept_file))
            return report_id

    async def reports_of(name: str) -> list[int]:
        async with await open_store(db) as store:
            return [r.report_id for r in await store.reports.definitions(name)]

    assert _add(capsys, monkeypatch, db, "ann", "viewer", "P1")[0] == 0
    report_id = asyncio.run(saved("ann"))
    code, out, _ = _run(capsys, monkeypatch, db, "users", "remove", "ann")
    assert code == 0 and "with their 1 saved report" in out
    assert not kept_file.exists()
    assert _add(capsys, monkeypatch, db, "ann", "viewer", "P2")[0] == 0
    assert asyncio.run(reports_of("ann")) == []

    async def definition_left() -> object:
        async with await open_store(db) as store:
            return await store.reports.get(report_id, "ann")

    assert asyncio.run(definition_left()) is None
