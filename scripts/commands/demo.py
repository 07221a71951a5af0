"""`ascent demo`: fixture web, import, crawl, classify, month, reports, validation, summary."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from common.errors import InputError

NAME = "demo"
HELP = "run everything end to end, offline, on a local fixture web of fictional companies"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--companies", type=int, default=200, help="fictional companies (default 200)")
    parser.add_argument(
        "--out", type=Path, default=Path("demo-out"), help="output folder (default ./demo-out)"
    )
    parser.add_argument("--seed", type=int, default=7, help="fixture world seed")


def main(args: argparse.Namespace) -> int:
    if not 10 <= args.companies <= 10_000:
        raise InputError("--companies must be between 10 and 10000")
    return asyncio.run(_demo(args))


async def _demo(args: argparse.Namespace) -> int:
    from rich.console import Console

    from scripts.demo import DEMO_MONTH, run_demo
    from scripts.demo_summary import print_summary
    from scripts.settings import Settings
    from scripts.wiring import open_database

    console = Console()
    result = await run_demo(args.companies, args.out, args.seed, console)
    async with await open_database(str(args.out / "ascent.db"), Settings()) as store:
        await print_summary(console, store, result, DEMO_MONTH)
    return 0
