"""`ascent run`: the daemon (crawl, classify, technographics, fit, monthly run and export)."""

from __future__ import annotations

import argparse
import asyncio

from scripts.context import db_target, settings_from, store_from

NAME = "run"
HELP = "run the daemon: continuous crawl and classification, monthly run and export on the 25th"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tick", type=float, default=1.0, help="seconds between schedule checks")


def main(args: argparse.Namespace) -> int:
    from scripts.logs import configure_json_logging

    configure_json_logging()
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from scripts.daemon import Daemon, JobRunner, Metrics, install_stop_signals, standard_jobs
    from scripts.pipeline import PipelineStages
    from scripts.report_hub import recover_interrupted
    from scripts.schedule import SystemClock
    from scripts.wiring import reports_dir

    settings = settings_from(args)
    store = await store_from(args, settings)
    async with store:
        await recover_interrupted(store, settings)
        stages = PipelineStages(store, settings, reports_dir(settings, db_target(args)), bounded=True)
        try:
            clock = SystemClock()
            runner = JobRunner(standard_jobs(stages, settings), store.jobs, clock, Metrics())
            daemon = Daemon(runner, stages, settings, tick_s=args.tick)
            stop = asyncio.Event()
            install_stop_signals(stop)
            await daemon.serve(stop)
        finally:
            await stages.aclose()
    return 0
