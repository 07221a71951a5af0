"""`ascent validate --month YYYY-MM [--json]`: clusters against the opportunities that followed."""

from __future__ import annotations

import argparse
import asyncio
import json

from scripts.context import settings_from, store_from
from scripts.exits import EXIT_FAILED

NAME = "validate"
HELP = "check a month's clusters against opportunities created in the 90 days after it"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", required=True, help="a month scored by `ascent monthly`, YYYY-MM")
    parser.add_argument("--json", action="store_true", help="print the whole report as one JSON object")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a judged area fails (Act now lift < 2 or not monotonic)",
    )


def main(args: argparse.Namespace) -> int:
    from intent.months import checked_month

    checked_month(args.month)
    return asyncio.run(_validate(args))


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


async def _validate(args: argparse.Namespace) -> int:
    from intent.validate import validate_month
    from scripts.exports import MonthNotScored

    settings = settings_from(args)
    store = await store_from(args, settings, reading=True)
    async with store:
        if not await store.scores.month_scored(args.month):
            raise MonthNotScored(args.month)
        report = await validate_month(store.scores, args.month, settings.intent)
    if args.json:
        print(json.dumps(report, sort_keys=False))
    else:
        window = report["window"]
        print(
            f"month {report['month']}: {report['opportunities']} opportunities created "
            f"{window['first_day']}..{window['last_day']}"
        )
        print("area       opps  won  base  lift  won_lift  monotonic  p@k    changed  verdict")
        for area in report["areas"]:
            verdict = "pass" if area["passed"] else ("FAIL" if area["passed"] is False else "not judged")
            print(
                f"{area['area']:<9} {area['opportunities']:>5} {area['won']:>4} {_fmt(area['base_rate']):>5} "
                f"{_fmt(area['lift']):>5} {_fmt(area['won_lift']):>9} {_fmt(area['monotonic']):>10} "
                f"{_fmt(area['precision_at_k']):>5}  {_fmt(area['changed_cluster_share']):>7}  {verdict}"
            )
            for name, stats in area["clusters"].items():
                print(
                    f"    {name:<9} customers {stats['customers']:>6}"
                    f"  share {_fmt(stats['population_share'])}"
                    f"  opps {stats['opportunities']:>4}  won {stats['won']:>4}"
                    f"  win rate {_fmt(stats['win_rate'])}  opp rate {_fmt(stats['opportunity_rate'])}"
                )
    if args.strict and report["passed"] is False:
        return EXIT_FAILED
    return 0
