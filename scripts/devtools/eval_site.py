"""A one-company site on loopback for end-to-end evaluations: given pages are published as
its newsroom or careers section, then ``ascent import``, ``crawl``, ``classify`` and
``explain --json`` run as a user runs them, in a fresh database, and the signals are read back.

The server is a small asyncio HTTP/1.1 server (one request per connection): ``/robots.txt``
allows everything, ``/`` links the section, the section index links every page, and
``/sitemap.xml`` lists them all. No DNS is needed: the crawler's ``resolve`` setting maps the
site's host names to the server, and its nameserver is a closed loopback port.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from scripts.fixture_web.server import parse_head

DOMAIN = "example-newsroom.com"
CUSTOMER_ID = "EVAL-NEWSROOM"
COMMAND_TIMEOUT_S = 3_600


def _index(section: str, paths: list[str]) -> str:
    links = "".join(f'<li><a href="{escape(p)}">{escape(p)}</a></li>' for p in paths)
    return f"<!doctype html><html><head><title>{section}</title></head><body><ul>{links}</ul></body></html>"


def site_pages(pages: Mapping[str, str], section: str) -> dict[str, tuple[str, bytes]]:
    """Every path the site answers: content type and body."""
    paths = sorted(pages)
    urls = "".join(f"<url><loc>http://{DOMAIN}{escape(p)}</loc></url>" for p in paths)
    served: dict[str, tuple[str, bytes]] = {
        "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"),
        "/": ("text/html; charset=utf-8", _index("Home", [section]).encode()),
        section: ("text/html; charset=utf-8", _index(section, paths).encode()),
        "/sitemap.xml": (
            "application/xml",
            f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
        ),
    }
    for path, html in pages.items():
        served[path] = ("text/html; charset=utf-8", html.encode())
    return served


class SiteServer:
    """Serves a fixed set of paths on 127.0.0.1 from a background thread."""

    def __init__(self, served: Mapping[str, tuple[str, bytes]]):
        self.served = served
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.AbstractServer | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            request = parse_head(head[:-4])
            if request is None:
                return
            method, path = request.method, request.path
            found = self.served.get(path) or self.served.get(path.rstrip("/") or "/")
            status, (content_type, body) = (
                ("200 OK", found) if found else ("404 Not Found", ("text/plain", b""))
            )
            header = (
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
            writer.write(header + (body if method != "HEAD" else b""))
            await writer.drain()
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> SiteServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def _closed_port() -> int:
    """A loopback UDP port nothing listens on: DNS questions there fail at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _settings(port: int) -> str:
    hosts = "".join(f'"{host}" = "127.0.0.1:{port}"\n' for host in (DOMAIN, f"www.{DOMAIN}"))
    return (
        '[crawler]\nallow_private_addresses = true\nseed_scheme = "http"\nper_host_delay = 0.0\n'
        f'nameservers = ["127.0.0.1:{_closed_port()}"]\n\n[crawler.resolve]\n{hosts}'
    )


def _customers_csv() -> str:
    return (
        "CustomerID,AccountName,Domain,OrgSize,Industry,Vertical,City,State,PostalCode,Country,"
        "IsNonprofit,AzureMonthlyRevenue,PartnerID,PartnerName\n"
        f"{CUSTOMER_ID},Example Newsroom,{DOMAIN},500,Media,,Leeds,,,GB,false,0,P1,Partner\n"
    )


@contextmanager
def _served(pages: Mapping[str, str], section: str) -> Iterator[SiteServer]:
    with SiteServer(site_pages(pages, section)) as server:
        yield server


def _ascent(workdir: Path, *args: str) -> str:
    command = [sys.executable, "-m", "scripts.cli", "--db", str(workdir / "ascent.db")]
    command += ["--config", str(workdir / "ascent.toml"), *args]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"ascent {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def run_site_evaluation(pages: Mapping[str, str], *, section: str, workdir: Path) -> list[dict[str, object]]:
    """The signals ``explain --json`` shows for the site, each with its page's ``path``."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "ascent.db").unlink(missing_ok=True)
    (workdir / "customers.csv").write_text(_customers_csv(), encoding="utf-8")
    with _served(pages, section) as server:
        (workdir / "ascent.toml").write_text(_settings(server.port), encoding="utf-8")
        _ascent(workdir, "import", "customers", str(workdir / "customers.csv"))
        crawl = _ascent(workdir, "crawl", "--once", "--quiet")
    print(f"  {crawl.strip()}", file=sys.stderr)
    _ascent(workdir, "classify", "--no-progress")
    report = json.loads(_ascent(workdir, "explain", DOMAIN, "--json"))
    signals = []
    for signal in report.get("signals", []):
        signals.append(dict(signal, path=urlsplit(str(signal.get("url", ""))).path))
    return signals
