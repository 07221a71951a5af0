"""`ascent settings`: show the effective settings or their reference."""

from __future__ import annotations

import argparse
import dataclasses
import json

from scripts.context import settings_from
from scripts.settings import settings_hash, settings_reference

NAME = "settings"
HELP = "print the effective settings as JSON (or --markdown: the reference of every field)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--markdown", action="store_true", help="print the field reference")


def main(args: argparse.Namespace) -> int:
    if args.markdown:
        print(settings_reference())
        return 0
    settings = settings_from(args)
    data = dataclasses.asdict(settings)
    data["_hash"] = settings_hash(settings)
    print(json.dumps(data, indent=2, sort_keys=True, allow_nan=False))
    return 0
