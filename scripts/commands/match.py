"""`ascent match CRM.csv --out MATCHED.csv`: line a CRM export up with ascent's customers."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from scripts.context import settings_from, store_from
from scripts.exits import EXIT_BAD_INPUT, EXIT_FAILED

NAME = "match"
HELP = (
    "match a CRM export (CSV) to ascent's customers by domain, then name, then customer ID, "
    "and write it back with ascent_customer_id, match_method, match_score, match_candidates"
)
EPILOG = """\
Columns are recognised by their usual names: domain (Domain, Website, URL, Web), email (Email,
E-mail Address), name (Account Name, Company Name, Company, Name), id (Customer ID, TPID,
Account Number). match_method is one of domain, name, fuzzy_name, id, ambiguous (two or more
customers fit: see match_candidates) or none. Addresses at public mail providers (gmail.com,
outlook.com, ...) never match on their own. A file that cannot be read is refused whole with
file:line: column: problem and exit status 2. See docs/matching.md.
"""


def _threshold(text: str) -> float:
    from intent.matching import MIN_FUZZY_THRESHOLD

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not MIN_FUZZY_THRESHOLD <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between {MIN_FUZZY_THRESHOLD} and 1, got {text}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("crm", type=Path, metavar="CRM.csv", help="the CRM export: CSV, UTF-8, header row")
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="MATCHED.csv",
        help="where to write the CRM rows (all columns, in order) plus the four match columns",
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help="use COLUMN for ROLE (domain, email, name or id) instead of recognising it by name; "
        "repeat for several roles",
    )
    parser.add_argument(
        "--threshold",
        type=_threshold,
        default=None,
        metavar="X",
        help="fuzzy name score (0.5-1) a name must reach to match when no exact name does "
        "(default: 0.92, chosen on the matching benchmark)",
    )
    parser.add_argument("--bom", action="store_true", help="start MATCHED.csv with a UTF-8 BOM (for Excel)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def main(args: argparse.Namespace) -> int:
    from common.errors import InputError
    from intent.crm_file import parse_mapping

    try:
        mapping = parse_mapping(args.map)
        if args.out.resolve() == args.crm.resolve():
            raise InputError(f"--out {args.out}: is the CRM file itself; write the matched file elsewhere")
        data = _read(args.crm)
    except InputError as exc:
        print(f"ascent match: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return asyncio.run(_match(args, mapping, data))


def _read(path: Path) -> bytes:
    from common.errors import InputError
    from intent.crm_file import MAX_FILE_BYTES

    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}:1: file: {size} bytes, larger than the limit of {MAX_FILE_BYTES}")
        return path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path}:1: file: is a folder, not a CSV file") from None
    except OSError as exc:
        raise InputError(f"{path}:1: file: cannot be read ({exc.strerror or exc})") from None


async def _match(args: argparse.Namespace, mapping: dict[str, str], data: bytes) -> int:
    from intent.crm_file import CrmFileError
    from intent.crm_match import match_crm
    from intent.matching import DEFAULT_FUZZY_THRESHOLD

    settings = settings_from(args)
    store = await store_from(args, settings, reading=True)
    async with store:
        customers = await store.customers.all()
    threshold = DEFAULT_FUZZY_THRESHOLD if args.threshold is None else args.threshold
    try:
        result = match_crm(str(args.crm), data, customers, mapping=mapping, threshold=threshold)
    except CrmFileError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        _write_atomically(args.out, result.csv_bytes(bom=args.bom))
    except OSError as exc:
        print(f"ascent match: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    summary = result.summary.as_dict()
    if args.json:
        print(json.dumps({**summary, "out": str(args.out), "threshold": threshold}, indent=2))
    else:
        _print_summary(summary, args.out)
    return 0


def _write_atomically(path: Path, data: bytes) -> None:
    # A crash half-way must not leave a truncated MATCHED.csv that looks complete.
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _print_summary(summary: dict[str, object], out: Path) -> None:
    methods = summary["methods"]
    assert isinstance(methods, dict)
    print(f"{summary['rows']} rows, {summary['matched']} matched -> {out}")
    for method, count in methods.items():
        print(f"  {method:<11}{count:>8}")
    print(
        f"  customers matched: {summary['customers_matched']}, on several rows: "
        f"{summary['customers_on_several_rows']}"
    )
