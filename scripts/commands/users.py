"""`ascent users add|list|set-role|set-partners|set-password|disable|enable|remove`: the people
who may use the UI, managed from the terminal by the machine's owner.

Every change is written to the audit trail with the actor ``terminal``. Passwords are read
from standard input only (see :mod:`scripts.passwords`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from common.errors import InputError, NotFoundError
from scripts.context import settings_from, store_from
from scripts.report_hub import delete_report
from storage.store import Store
from storage.users import ROLES, VIEWER, User, describe

NAME = "users"
HELP = "user accounts for the UI: add, list, change role or partners, disable, remove"
ACTOR = "terminal"  # the machine's owner, as every terminal command acts
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
PARTNER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,63}")
# Names with a meaning of their own elsewhere: the audit trail's terminal actor, and the owner
# of reports made before there were users.
RESERVED_NAMES = frozenset({ACTOR, "local"})
EPILOG = """\
Roles: viewer (sees only the customers of its --partner PartnerIDs), global_viewer and
executive (see every partner), admin (sees every partner and will manage users in the UI).
A name is 1-64 characters: lower-case letters, digits and . _ @ - (starting with a letter or
digit). A password is 12-1024 characters, read from standard input only (one line; typed
without echo at a terminal), never given as an argument. Partners must be PartnerIDs of the
imported customers. Every change is recorded in the audit trail (`ascent audit`).
Exit status: 2 for bad input, 3 for an unknown user.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="create a user", epilog=EPILOG, formatter_class=parser.formatter_class)
    _name_argument(add)
    add.add_argument("--role", required=True, choices=ROLES, help="what the user may see and do")
    _partner_option(add)
    _password_option(add)
    listed = sub.add_parser("list", help="every user: name, role, partners, disabled (never the password)")
    listed.add_argument("--json", action="store_true", help="print JSON instead of a table")
    role = sub.add_parser("set-role", help="change a user's role")
    _name_argument(role)
    role.add_argument("role", choices=ROLES, metavar="ROLE", help=f"the new role: {', '.join(ROLES)}")
    _partner_option(role, extra=" (required when a user becomes a viewer and has none)")
    partners = sub.add_parser("set-partners", help="replace the partners a viewer may see")
    _name_argument(partners)
    partners.add_argument("partners", nargs="+", metavar="PARTNER", help="PartnerIDs of imported customers")
    password = sub.add_parser("set-password", help="give a user a new password")
    _name_argument(password)
    _password_option(password)
    for action, text in (
        ("disable", "refuse the user's sign-ins, keeping the account"),
        ("enable", "allow a disabled user to sign in again"),
        ("remove", "delete the user and their saved reports (the audit trail keeps their history)"),
    ):
        _name_argument(sub.add_parser(action, help=text))


def _name_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the user's name (lower-case letters, digits, . _ @ -)")


def _partner_option(parser: argparse.ArgumentParser, extra: str = "") -> None:
    parser.add_argument(
        "--partner",
        action="append",
        default=[],
        metavar="PARTNER",
        help=f"a PartnerID the viewer may see, repeatable; viewers only{extra}",
    )


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password (12-1024 characters) from standard input, the only way to give it",
    )


def main(args: argparse.Namespace) -> int:
    if args.action != "list":
        checked_name(args.name)
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    password_hash = _new_password_hash() if args.action in ("add", "set-password") else None
    settings = settings_from(args)
    async with await store_from(args, settings, reading=args.action == "list") as store:
        if args.action == "list":
            _print_users(await store.users.all(), as_json=args.json)
            return 0
        change = Change(store, args.name)
        if args.action == "add":
            assert password_hash is not None
            await change.add(args.role, args.partner, password_hash)
        elif args.action == "set-role":
            await change.set_role(args.role, args.partner)
        elif args.action == "set-partners":
            await change.set_partners(args.partners)
        elif args.action == "set-password":
            assert password_hash is not None
            await change.set_password(password_hash)
        elif args.action in ("disable", "enable"):
            await change.set_disabled(args.action == "disable")
        else:
            await change.remove()
    return 0


class Change:
    """One change to one user: checked, then made (storage writes its audit entry with it)."""

    def __init__(self, store: Store, name: str):
        self.store = store
        self.name = name

    async def add(self, role: str, partners: Sequence[str], password_hash: str) -> None:
        chosen = await self._partners_for(role, partners, required=role == VIEWER)
        if not await self.store.users.add(self.name, role, chosen, password_hash, actor=ACTOR):
            raise InputError(f"{self.name}: a user of that name exists already")
        print(f"added {self.name} ({describe(role, chosen)})")

    async def set_role(self, role: str, partners: Sequence[str]) -> None:
        user = await self._existing()
        keeps_partners = role == VIEWER and not partners and user.role == VIEWER
        chosen = await self._partners_for(role, partners, required=role == VIEWER and not keeps_partners)
        # Only a viewer has partners: a user who stops being one loses theirs.
        new_partners = user.partners if keeps_partners else chosen
        if not await self.store.users.set_role(self.name, role, new_partners, actor=ACTOR):
            raise _unknown(self.name)  # removed meanwhile
        print(f"{self.name}: {describe(role, new_partners)}")

    async def set_partners(self, partners: Sequence[str]) -> None:
        user = await self._existing()
        if user.role != VIEWER:
            raise InputError(
                f"{self.name}: is {user.role}, who sees every partner; only a viewer has partners"
            )
        chosen = await self._partners_for(VIEWER, partners, required=True)
        if not await self.store.users.set_partners(self.name, chosen, actor=ACTOR):
            raise _unknown(self.name)  # removed meanwhile
        print(f"{self.name}: {describe(VIEWER, chosen)}")

    async def set_password(self, password_hash: str) -> None:
        if not await self.store.users.set_password_hash(self.name, password_hash, actor=ACTOR):
            raise _unknown(self.name)
        print(f"{self.name}: password changed")

    async def set_disabled(self, disabled: bool) -> None:
        if not await self.store.users.set_disabled(self.name, disabled, actor=ACTOR):
            raise _unknown(self.name)
        print(f"{self.name}: {'disabled' if disabled else 'enabled'}")

    async def remove(self) -> None:
        await self._existing()
        # Reports belong to their creator's name: a later user given the same name must not
        # inherit them, and nobody's scheduled files should go on being built.
        reports = await self.store.reports.definitions(self.name)
        for record in reports:
            await delete_report(self.store, record.report_id, self.name)
        if not await self.store.users.remove(self.name, actor=ACTOR):
            raise _unknown(self.name)  # removed meanwhile
        gone = f", with their {len(reports)} saved report{'s' * (len(reports) != 1)}" if reports else ""
        print(f"{self.name}: removed{gone}")

    async def _existing(self) -> User:
        user = await self.store.users.get(self.name)
        if user is None:
            raise _unknown(self.name)
        return user

    async def _partners_for(self, role: str, partners: Sequence[str], *, required: bool) -> list[str]:
        if role != VIEWER:
            if partners:
                raise InputError(f"--partner: a {role} sees every partner; only a viewer is limited to some")
            return []
        if required and not partners:
            raise InputError("--partner: a viewer needs at least one partner (give --partner PARTNER)")
        for partner in partners:
            if not PARTNER_PATTERN.fullmatch(partner):
                raise InputError(f"partner {partner!r}: not a PartnerID (letters, digits, . _ - and spaces)")
        known = await self.store.users.partner_ids()
        if partners and not known:
            raise InputError("partner: no customers are imported yet, so there are no PartnerIDs to give")
        unknown = sorted(set(partners) - known)
        if unknown:
            raise InputError(
                f"partner {', '.join(unknown)}: not a PartnerID of the imported customers"
                f" (known: {', '.join(sorted(known)[:10])}{', ...' if len(known) > 10 else ''})"
            )
        return sorted(set(partners))


def checked_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"name {name!r}: 1-64 characters, lower-case letters, digits and . _ @ -,"
            " starting with a letter or digit"
        )
    if name in RESERVED_NAMES:
        raise InputError(f"name {name!r}: is reserved; choose another")
    return name


def _new_password_hash() -> str:
    from scripts.passwords import hash_password, read_password

    if sys.stdin is None:
        raise InputError("password: standard input is closed; pipe the password in")
    if sys.stdin.isatty():
        import getpass

        from scripts.passwords import check_password

        password = getpass.getpass("Password: ")
        check_password(password)
    else:
        password = read_password(sys.stdin)
    return hash_password(password)


def _unknown(name: str) -> NotFoundError:
    return NotFoundError(f"{name}: no such user (see `ascent users list`)")


def _print_users(users: list[User], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps([_as_dict(u) for u in users], indent=2))
        return
    if not users:
        print("no users: the UI is the single-user, read-only view (add one with `ascent users add`)")
        return
    print(f"{'NAME':<24} {'ROLE':<14} {'STATE':<9} PARTNERS")
    for user in users:
        state = "disabled" if user.disabled else "active"
        print(f"{user.name:<24} {user.role:<14} {state:<9} {','.join(user.partners)}")


def _as_dict(user: User) -> dict[str, object]:
    return {
        "name": user.name,
        "role": user.role,
        "partners": list(user.partners),
        "disabled": user.disabled,
        "created_at": _iso(user.created_at),
        "updated_at": _iso(user.updated_at),
        "failed_signins": user.failed_signins,
        "locked_until": _iso(user.locked_until) if user.locked_until is not None else None,
    }


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
