"""`ascent monthly --month YYYY-MM`: score a month (idempotent; records its inputs)."""

from __future__ import annotations

import argparse
import asyncio
import json

from common.errors import InputError
from scripts.context import settings_from, store_from

NAME = "monthly"
HELP = "score a month: fit, intent, matrix, clusters, cohorts, whitespace (rerun = same rows)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", required=True, help="the month to score, YYYY-MM")
    parser.add_argument(
        "--refit", action="store_true", help="retrain this quarter's fit models instead of reusing them"
    )
    parser.add_argument("--json", action="store_true", help="print the run's inputs and summary as JSON")


def main(args: argparse.Namespace) -> int:
    from intent.months import checked_month

    checked_month(args.month)
    return asyncio.run(_monthly(args))


async def _monthly(args: argparse.Namespace) -> int:
    from intent.matrix import MatrixError
    from scripts.pipeline import score_month_exclusively

    settings = settings_from(args)
    store = await store_from(args, settings)
    async with store:
        try:
            result = await score_month_exclusively(store, settings, args.month, args.refit)
        except MatrixError as exc:
            raise InputError(f"settings: {exc}") from exc
    if args.json:
        print(json.dumps({"run_id": result.run_id, "inputs": result.inputs, "summary": result.summary}))
        return 0
    inputs, summary = result.inputs, result.summary
    print(
        f"month {result.month} (run {result.run_id}): {inputs['customers']} customers, "
        f"{inputs['signals']['read']} signals read ({inputs['signals']['published_in_month']} "
        f"published this month), settings {inputs['settings_hash']}"
    )
    for area, fit in inputs["models"]["fit"].items():
        clusters = ", ".join(f"{name} {count}" for name, count in summary["clusters"][area].items())
        print(f"  {area:<9} fit {fit['method']} ({fit['model_version']}, {fit['positives']} won)  {clusters}")
    seconds = sum(summary["seconds"].values())
    print(
        f"wrote {summary['propensity_rows']} propensity and {summary['intent_rows']} intent rows"
        f" in {seconds:.1f} s"
    )
    return 0
