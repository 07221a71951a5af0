"""`ascent audit [--json] [--limit N]`: the audit trail, newest first."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime

from scripts.context import settings_from, store_from
from storage.audit import AuditEntry

NAME = "audit"
HELP = "the audit trail: every change to users (and, with sign-in, every sign-in and refusal)"
MAX_LIMIT = 100_000
EPILOG = """\
Columns: time (UTC), actor (terminal: the machine's owner at the command line), action
(user.add, user.set_role, user.set_partners, user.set_password, user.disable, user.enable,
user.remove), target (the user acted on), outcome (ok or refused) and detail.
"""


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_LIMIT}, got {text}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--limit",
        type=_limit,
        default=50,
        metavar="N",
        help=f"the newest N entries (1-{MAX_LIMIT}, default 50)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def main(args: argparse.Namespace) -> int:
    entries = asyncio.run(_recent(args))
    if args.json:
        print(json.dumps([_as_dict(e) for e in entries], indent=2))
    elif not entries:
        print("the audit trail is empty")
    else:
        for entry in entries:
            print(_line(entry))
    return 0


async def _recent(args: argparse.Namespace) -> list[AuditEntry]:
    async with await store_from(args, settings_from(args), reading=True) as store:
        return await store.audit.recent(args.limit)


def _as_dict(entry: AuditEntry) -> dict[str, object]:
    return {
        "at": _iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "detail": entry.detail,
    }


def _line(entry: AuditEntry) -> str:
    fields = (_iso(entry.at), entry.actor, entry.action, entry.target, entry.outcome, entry.detail)
    return "  ".join(_printable(f) for f in fields).rstrip()


def _printable(text: str) -> str:
    # A name typed at a sign-in form may hold terminal escapes: show them, never obey them.
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
