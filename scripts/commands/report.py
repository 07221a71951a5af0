"""`ascent report create|list|show|download|delete|run-scheduled`: the downloads hub from the
terminal (saved report definitions, built files, scheduled reports)."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from scripts.context import settings_from, store_from
from scripts.exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_NOT_FOUND

NAME = "report"
HELP = "the downloads hub: create, list, show, download, delete and build scheduled reports"
SOURCES = ("azure", "m365", "d365", "security", "surface", "renewal")
PRESETS = ("all", "firmographics", "propensity", "cohorts", "revenue", "explanation")
FILTER_HELP = (
    "a filter KEY=VALUE, repeatable; keys: cluster, cell, area, sub-segment, industry, vertical,"
    " country, partner (id or name), cohort (NAME = Yes), flag (NAME = Yes), intent and fit"
    " (a range MIN-MAX within 0-100). Values of one key are alternatives; different keys must all"
    " match. Cluster, cell, intent and fit apply to the area filter's areas, else to the source's"
    " first area"
)


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser(
        "create",
        help="save a report definition and build it now (or schedule it); prints the report id",
        description="Save a report definition and build it now, or with --schedule after every "
        "monthly run. Prints the report id.",
    )
    create.add_argument("--source", required=True, choices=SOURCES, help="the data source")
    chosen = create.add_mutually_exclusive_group(required=True)
    chosen.add_argument(
        "--columns",
        help="the columns, comma-separated, in the order wanted (see `ascent report columns SOURCE`)",
    )
    chosen.add_argument("--preset", choices=PRESETS, help="a preset set of columns instead of --columns")
    create.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE", help=FILTER_HELP)
    create.add_argument(
        "--month",
        default="",
        help="a scored month YYYY-MM, or 'lifetime' (every scored month, one row per customer and"
        " month); required unless --schedule (which builds each month the monthly run scores)",
    )
    create.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="file format (default csv)")
    create.add_argument("--name", default="", help="the report's name (default: source and month)")
    create.add_argument(
        "--bom", action="store_true", help="CSV only: start the file with a UTF-8 BOM (Excel)"
    )
    create.add_argument(
        "--schedule", action="store_true", help="do not build now; build after every monthly run"
    )
    create.add_argument(
        "--crm",
        type=Path,
        metavar="MATCHED.csv",
        help="a CRM file matched by `ascent match`: the CRM's own id column is added first to every row",
    )
    create.add_argument(
        "--crm-id-column", default=None, help="the CRM id column of --crm (default: its first column)"
    )
    sub.add_parser("list", help="your reports: id, name, source, status, rows, size")
    show = sub.add_parser("show", help="a report's definition and its built files")
    show.add_argument("report_id", type=int, metavar="ID")
    download = sub.add_parser("download", help="copy a report's built file to --out")
    download.add_argument("report_id", type=int, metavar="ID")
    download.add_argument("--out", required=True, type=Path, help="where to write the file")
    download.add_argument(
        "--month", default=None, help="which month's file of a scheduled report (default: the newest)"
    )
    delete = sub.add_parser("delete", help="delete a report and its files")
    delete.add_argument("report_id", type=int, metavar="ID")
    scheduled = sub.add_parser(
        "run-scheduled",
        help="build every scheduled report for a scored month (what each monthly run does)",
    )
    scheduled.add_argument("--month", required=True, help="a scored month, YYYY-MM")
    listed = sub.add_parser("columns", help="the columns a data source offers, in order")
    listed.add_argument("source", choices=SOURCES)
    for child in sub.choices.values():
        child.add_argument("--json", action="store_true", help="print JSON instead of text")


def main(args: argparse.Namespace) -> int:
    from intent.report_definition import ReportInputError

    try:
        return asyncio.run(_ACTIONS[args.action](args))
    except ReportInputError as exc:
        print(f"ascent report: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


async def _create(args: argparse.Namespace) -> int:
    from intent.matched_crm import read_matched_crm
    from intent.matrix import Matrix
    from intent.report_definition import checked_matrix_filters, make_definition, parse_filter
    from scripts.report_hub import build_claimed, claim, create_report

    settings = settings_from(args)
    if not args.schedule and not args.month:
        print(
            "ascent report: month: give --month YYYY-MM or --month lifetime (or --schedule)", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    crm_column, crm_ids = read_matched_crm(args.crm, args.crm_id_column) if args.crm else ("", {})
    filters = [parse_filter(text) for text in args.filter]
    matrix = Matrix.from_settings(settings.intent)
    checked_matrix_filters(filters, matrix.cluster_of, matrix.clusters)
    record = make_definition(
        source=args.source,
        columns=(args.columns or "").split(","),
        preset=args.preset,
        filters=filters,
        month=args.month,
        name=args.name,
        format=args.format,
        bom=args.bom,
        scheduled=args.schedule,
        crm_column=crm_column,
        crm_ids=crm_ids,
    )
    store = await store_from(args, settings, reading=True)
    async with store:
        stored = await create_report(store, record)
        built = None
        if not args.schedule:
            file_id = await claim(store, stored)
            assert file_id is not None  # a new definition has no file yet
            built = await build_claimed(store, settings, stored, file_id)
    if args.json:
        print(json.dumps({"report_id": stored.report_id, "file": built.__dict__ if built else None}))
    else:
        print(stored.report_id)
        if built is not None:
            print(
                f"{built.status}: {built.rows} rows, {built.size} bytes {built.error}".rstrip(),
                file=sys.stderr,
            )
    return EXIT_FAILED if built is not None and built.status != "done" else 0


async def _list(args: argparse.Namespace) -> int:
    store = await store_from(args, reading=True)
    async with store:
        listed = []
        for record in await store.reports.definitions():
            files = await store.reports.files(record.report_id)
            listed.append((record, files[0] if files else None))
    if args.json:
        print(json.dumps([_summary(r, f) for r, f in listed]))
        return 0
    for record, file in listed:
        state = (
            f"{file.status} {file.month} {file.row_count} rows {file.byte_size} bytes"
            if file
            else "scheduled"
        )
        print(f"{record.report_id}\t{record.name}\t{record.source}\t{record.format}\t{state}")
    return 0


async def _show(args: argparse.Namespace) -> int:
    store = await store_from(args, reading=True)
    async with store:
        record = await store.reports.get(args.report_id)
        files = await store.reports.files(args.report_id) if record else []
    if record is None:
        print(f"ascent report: no report {args.report_id}", file=sys.stderr)
        return EXIT_NOT_FOUND
    summary = _summary(record, None)
    summary["files"] = [f.__dict__ for f in files]
    if args.json:
        print(json.dumps(summary))
        return 0
    for key, value in summary.items():
        if key != "files":
            print(f"{key}: {value}")
    for f in files:
        state = f"{f.status}, {f.row_count} rows, {f.byte_size} bytes {f.error}".rstrip()
        print(f"file {f.file_id} {f.month}: {state}")
    return 0


async def _download(args: argparse.Namespace) -> int:
    store = await store_from(args, reading=True)
    async with store:
        files = await store.reports.files(args.report_id)
    done = [f for f in files if f.status == "done" and (args.month is None or f.month == args.month)]
    if not done:
        print(f"ascent report: report {args.report_id} has no built file{_for(args.month)}", file=sys.stderr)
        return EXIT_NOT_FOUND
    shutil.copyfile(done[0].path, args.out)
    print(f"{args.out}\t{done[0].row_count} rows")
    return 0


def _for(month: str | None) -> str:
    return f" for {month}" if month else ""


async def _delete(args: argparse.Namespace) -> int:
    from scripts.report_hub import delete_report

    store = await store_from(args, reading=True)
    async with store:
        deleted = await delete_report(store, args.report_id)
    if not deleted:
        print(f"ascent report: no report {args.report_id}", file=sys.stderr)
        return EXIT_NOT_FOUND
    return 0


async def _run_scheduled(args: argparse.Namespace) -> int:
    from intent.months import MonthError, checked_month
    from scripts.report_hub import build_scheduled

    try:
        checked_month(args.month)
    except MonthError as exc:
        print(f"ascent report: month: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = settings_from(args)
    store = await store_from(args, settings, reading=True)
    async with store:
        built = await build_scheduled(store, settings, args.month)
    if args.json:
        print(json.dumps([b.__dict__ for b in built]))
    for b in built if not args.json else ():
        print(f"{b.path or b.month}\t{b.status}\t{b.rows} rows {b.error}".rstrip())
    return EXIT_FAILED if any(b.status != "done" for b in built) else 0


async def _columns(args: argparse.Namespace) -> int:
    from intent.report_definition import available_columns

    names = available_columns(args.source)
    print(json.dumps(names) if args.json else "\n".join(names))
    return 0


def _summary(record: Any, file: Any) -> dict[str, Any]:
    summary = {
        "report_id": record.report_id,
        "name": record.name,
        "source": record.source,
        "columns": list(record.columns),
        "filters": [f"{k}={v}" for k, v in record.filters],
        "month": record.month or "each monthly run",
        "format": record.format,
        "scheduled": record.scheduled,
        "crm_column": record.crm_column,
    }
    if file is not None:
        summary["latest"] = {"month": file.month, "status": file.status, "rows": file.row_count}
    return summary


_ACTIONS = {
    "create": _create,
    "list": _list,
    "show": _show,
    "download": _download,
    "delete": _delete,
    "run-scheduled": _run_scheduled,
    "columns": _columns,
}
