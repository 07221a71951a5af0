"""`ascent serve`: the analyst web UI (read-only) over the database.

With no admin account it listens on loopback only: until someone can sign in as an admin, the
UI is one person's, on their own computer (`ascent users add NAME --role admin`).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import socket
import sys
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scripts.wiring import is_url

NAME = "serve"
HELP = "serve the analyst web UI (matrix, customers, signals; read-only)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to listen on (default: [web] host, 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=None, help="port to listen on (default: [web] port, 8080)"
    )


def main(args: argparse.Namespace) -> int:
    from common.errors import InputError
    from scripts.context import db_target, settings_from
    from scripts.exits import EXIT_FAILED
    from scripts.web import server
    from scripts.web.app import create_app
    from scripts.web.settings import WebSettings
    from storage.errors import DatabaseReadOnly

    settings = settings_from(args)
    web = getattr(settings, "web", None)
    web = web if isinstance(web, WebSettings) else WebSettings()
    host = args.host or web.host
    port = web.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port} is not a port number")
    target = db_target(args)  # a SQLite file or a postgresql:// URL: the UI serves either
    # Opened once before listening, so a database that cannot be read is one line and exit 4
    # (a StorageError for the command line) rather than a traceback from the server's startup.
    read_only = asyncio.run(_readable(target, settings))
    accounts, has_admin = asyncio.run(_accounts(target, settings))
    if accounts and read_only:
        raise DatabaseReadOnly(
            "accounts exist, so the UI must record sign-ins and sessions, but the database is"
            " read-only here; serve it from a folder that can be written"
        )
    if not is_loopback(host) and not has_admin:
        raise InputError(
            f"--host {host} is not a loopback address: the UI is open to anyone who reaches it until"
            " accounts exist. Add an admin first (`ascent users add NAME --role admin --password-stdin`),"
            " or serve on 127.0.0.1"
        )
    sock = server.bind(host, port)
    app = create_app(target, settings)
    mode = ", read-only: its folder cannot be written" if read_only else ""
    print(
        f"ascent: analyst UI on http://{host}:{sock.getsockname()[1]}/ (database {_shown(target)}{mode});"
        " Ctrl-C stops it",
        file=sys.stderr,
    )
    started = server.run(app, sock, header_timeout_s=web.header_timeout_s, keep_alive_s=web.keep_alive_s)
    return 0 if started else EXIT_FAILED


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address (127.0.0.0/8, ::1)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return False
    try:
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    except ValueError:
        return False
    return bool(addresses) and all(address.is_loopback for address in addresses)


async def _accounts(target: str, settings: Any) -> tuple[int, bool]:
    """How many accounts exist, and whether one is an enabled admin."""
    from scripts.wiring import open_database
    from storage.users import ADMIN

    store = await open_database(target, settings, reading=True)
    async with store:
        users = await store.users.all()
        return len(users), any(u.role == ADMIN and not u.disabled for u in users)


def _shown(target: str) -> str:
    """The database as printed: a URL without its password."""
    if not is_url(target):
        return target
    parts = urlsplit(target)
    if parts.password is None:
        return target
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def _readable(target: str, settings: Any) -> bool:
    """Open the database as the UI will and read the first row of every table (a damaged
    file then fails here, not on an analyst's first page); True when it is read-only. A
    writable one gets its interrupted report builds marked failed."""
    from scripts.report_hub import recover_interrupted
    from scripts.wiring import open_database

    store = await open_database(target, settings, reading=True)
    async with store:
        if not getattr(store.db, "read_only", False):
            await recover_interrupted(store, settings)
        if is_url(target):  # a server checks its own pages; one read proves the schema is there
            await store.db.fetchall("SELECT customer_id FROM customers LIMIT 1")
            return False
        for (table,) in await store.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'"):
            quoted = str(table).replace('"', '""')
            await store.db.fetchall(f'SELECT * FROM "{quoted}" LIMIT 1')
        return bool(getattr(store.db, "read_only", False))
