"""`ascent validate`."""

from __future__ import annotations

import argparse
import sys

NAME = "validate"
HELP = "(not available yet in this build)"


def configure(parser: argparse.ArgumentParser) -> None:
    pass


def main(args: argparse.Namespace) -> int:
    print(f"ascent {NAME}: not available yet in this build", file=sys.stderr)
    return 1
