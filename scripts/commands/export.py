"""`ascent export --month YYYY-MM --report NAME|all --out DIR`: write propensity CSV reports."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from common.vocabulary import REPORT_NAMES
from scripts.context import settings_from, store_from

NAME = "export"
HELP = "write a month's propensity reports (CSV): azure, m365, d365, security, surface, renewal or all"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", required=True, help="a month scored by `ascent monthly`, YYYY-MM")
    parser.add_argument("--report", required=True, choices=[*REPORT_NAMES, "all"], help="which report")
    parser.add_argument("--out", required=True, type=Path, help="folder for the CSV files")
    parser.add_argument(
        "--bom", action="store_true", default=None, help="start files with a UTF-8 BOM (for Excel)"
    )


def main(args: argparse.Namespace) -> int:
    from intent.months import checked_month

    checked_month(args.month)  # before the database is opened: a typo is bad input, not "no database"
    return asyncio.run(_export(args))


async def _export(args: argparse.Namespace) -> int:
    from scripts.exports import chosen_reports, export_month

    settings = settings_from(args)
    store = await store_from(args, settings, reading=True)
    async with store:
        written = await export_month(
            store, args.month, chosen_reports(args.report), args.out, settings.intent, bom=args.bom
        )
    for path, rows in written:
        print(f"{path}\t{rows} rows")
    return 0
