"""`ascent export --month YYYY-MM --report NAME|all --out DIR`: write propensity CSV reports."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from scripts.context import settings_from, store_from
from scripts.exits import EXIT_BAD_INPUT, EXIT_NOT_FOUND

NAME = "export"
HELP = "write a month's propensity reports (CSV): azure, m365, d365, security, surface, renewal or all"
REPORT_NAMES = ("azure", "m365", "d365", "security", "surface", "renewal")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", required=True, help="a month scored by `ascent monthly`, YYYY-MM")
    parser.add_argument("--report", required=True, choices=[*REPORT_NAMES, "all"], help="which report")
    parser.add_argument("--out", required=True, type=Path, help="folder for the CSV files")
    parser.add_argument(
        "--bom", action="store_true", default=None, help="start files with a UTF-8 BOM (for Excel)"
    )


def main(args: argparse.Namespace) -> int:
    from intent.months import MonthError, checked_month

    try:
        checked_month(args.month)
    except MonthError as exc:
        print(f"ascent export: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return asyncio.run(_export(args))


async def _export(args: argparse.Namespace) -> int:
    from intent.reports import load_month, write_reports

    settings = settings_from(args)
    store = await store_from(args, settings, reading=True)
    async with store:
        if not await store.scores.month_scored(args.month):
            print(
                f"ascent export: month {args.month} has not been scored; "
                f"run `ascent monthly --month {args.month}` first",
                file=sys.stderr,
            )
            return EXIT_NOT_FOUND
        data = await load_month(store.scores, store.customers, args.month, settings.intent)
        reports = list(REPORT_NAMES) if args.report == "all" else [args.report]
        # A database on read-only media exports all the same, only without its run log entry.
        logged = not getattr(store.db, "read_only", False)
        inputs = {"reports": reports, "out": str(args.out)}
        run_id = await store.runs.start("export", args.month, inputs) if logged else None
        written = write_reports(data, reports, args.out, settings.intent, bom=args.bom)
        if run_id is not None:
            await store.runs.finish(run_id, "ok", {"files": {str(path): rows for path, rows in written}})
    for path, rows in written:
        print(f"{path}\t{rows} rows")
    return 0
