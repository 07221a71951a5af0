"""`ascent fixture-web`: serve a local internet of fictional companies until stopped."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from common.errors import AscentError, InputError
from scripts.exits import EXIT_OK

NAME = "fixture-web"
HELP = (
    "serve fictional companies' sites (by Host header), a loopback DNS server and hostile "
    "endpoints, with a ground-truth file of the planted signals"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--companies", type=int, default=200, help="how many companies (10..10000, default 200)"
    )
    parser.add_argument("--seed", type=int, default=7, help="world seed (default 7)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="HTTP port (0 = any free port)")
    parser.add_argument(
        "--dns-port", type=int, default=5353, help="DNS port, UDP and TCP (0 = any free port)"
    )
    parser.add_argument(
        "--write-csv",
        type=Path,
        default=None,
        metavar="DIR",
        help="write customers/products/agreements/fit/outcomes CSVs here",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("fixture-web-out"),
        metavar="DIR",
        help="where to write ground-truth.json, resolve.json and a settings "
        "file for the crawler (default ./fixture-web-out)",
    )
    parser.add_argument(
        "--now",
        default=None,
        metavar="ISO",
        help="the content clock's start (default 2026-11-20T09:00:00+00:00)",
    )


def main(args: argparse.Namespace) -> int:
    import asyncio

    if not 10 <= args.companies <= 10_000:
        raise InputError("--companies must be between 10 and 10000")
    try:
        return asyncio.run(_serve(args))
    except OSError as exc:
        raise AscentError(f"cannot listen: {exc}") from exc


async def _serve(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import signal

    from scripts.fixture_web import DEFAULT_NOW, FixtureWeb, World

    now = DEFAULT_NOW
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError as exc:
            raise InputError(f"--now {args.now!r} is not an ISO date") from exc
    world = World.generate(args.companies, args.seed, now)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    async with FixtureWeb(
        world, host=args.host, port=args.port, dns_port=args.dns_port, max_log=1_000_000
    ) as web:
        resolve = web.resolve_map()
        (out / "resolve.json").write_text(json.dumps(resolve, indent=1), encoding="utf-8")
        settings = out / "ascent.toml"
        settings.write_text(_settings_toml(resolve, web.nameserver), encoding="utf-8")
        print(f"http: {web.base_url} ({len(world.companies)} companies, {len(resolve)} hosts)")
        print(f"dns: {web.nameserver} (udp and tcp)")
        print(f"resolve map: {out / 'resolve.json'}")
        print(f"crawler settings: {settings} (use with --config)")
        print("resolve (first hosts):")
        for host, address in list(resolve.items())[:6]:
            print(f"  {host} = {address}")
        first = world.companies[0]
        print(f"try: curl -H 'Host: {first.www_host}' {web.base_url}/")
        print(f"     dig @{args.host} -p {web.dns_port} MX {first.domain}")
        sys.stdout.flush()
        # Sites are written on first use; the files need all of them, so write them while
        # the server already answers (large worlds take a while).
        truth = await asyncio.to_thread(world.write_ground_truth, out / "ground-truth.json")
        print(f"ground truth: {truth}")
        if args.write_csv:
            written = await asyncio.to_thread(world.write_csv, args.write_csv)
            print("csv: " + ", ".join(str(p) for p in written.values()))
        print("ready (Ctrl-C to stop)")
        sys.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log = web.write_request_log(out / "requests.jsonl")
        print(f"stopping; request log: {log}", file=sys.stderr)
    return EXIT_OK


def _settings_toml(resolve: dict[str, str], nameserver: str) -> str:
    rows = "".join(f'"{host}" = "{address}"\n' for host, address in resolve.items())
    return (
        "# Settings that point the crawler at the fixture web (pass with --config).\n"
        "[crawler]\nallow_private_addresses = true\n"
        f'nameservers = ["{nameserver}"]\n\n[crawler.resolve]\n{rows}'
    )
