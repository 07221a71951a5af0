"""Real labelled text through `ascent classify --stdin --json`, the path an evaluator takes.

Each dev-set unit (scripts/devtools/devset.py: a sentence or paragraph as itself, a job ad as its
first 300 characters) becomes one input line of a real `ascent classify --stdin --json`
process, and the answers are scored per source: how many of the events were found with their
type, how many `none` rows were left alone, and for job ads how often the role was typed
right. Offline; reads ../shared/data/signals-dev in place.

    python -m scripts.devtools.eval_stdin [--files google-jobs,breach-notices] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence

from scripts.devtools import devset
from signals.taxonomy import NONE

DEFAULT_FILES = ("google-jobs", "breach-notices", "prc-breaches", "gdpr-fines", "fintext")
# The view of a row an evaluator would send: a job ad's first 300 characters, else the row.
VIEW_OF_FILE = {"google-jobs": "head300"}
HIRING = ("hiring_tech", "hiring_security", "hiring_sales", "hiring_finance")


def classify_lines(texts: Sequence[str]) -> list[str]:
    """The signal type `ascent classify --stdin --json` gives each line."""
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "classify", "--stdin", "--json"],
        input="\n".join(texts) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    answers = [json.loads(line)["signal_type"] for line in done.stdout.splitlines()]
    if len(answers) != len(texts):
        raise SystemExit(f"expected {len(texts)} answers, got {len(answers)}")
    return answers


def score(file: str, units: Sequence[devset.Unit], answers: Sequence[str]) -> str:
    judged = [(u, a) for u, a in zip(units, answers, strict=True) if not u.weak]
    events = [(u, a) for u, a in judged if u.labels]
    quiet = [(u, a) for u, a in judged if not u.event]
    parts = [f"{file}: {len(units)} lines"]
    if events:
        typed = sum(a in u.labels for u, a in events) / len(events)
        parts.append(f"events found with their type {typed:.3f} of {len(events)}")
    if quiet:
        left = sum(a == NONE for _, a in quiet) / len(quiet)
        parts.append(f"none rows left none {left:.3f} of {len(quiet)}")
    roles = [(u, a) for u, a in judged if u.labels and u.labels[0] in HIRING]
    if roles:
        hired = sum(a in HIRING for _, a in roles) / len(roles)
        parts.append(f"job ads typed hiring_* {hired:.3f}")
    if file == "google-jobs":
        # every ad: its hiring type, or none for a role the taxonomy has no type for
        right = sum((u.labels[0] if u.labels else NONE) == a for u, a in judged)
        parts.append(f"role typing accuracy {right / max(len(judged), 1):.3f} of {len(judged)} ads")
    return "; ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--files", default=",".join(DEFAULT_FILES), help="dev-set files (stems), comma-separated"
    )
    parser.add_argument("--limit", type=int, default=0, help="at most this many lines per file (0 = all)")
    args = parser.parse_args(argv)
    if not devset.available():
        print("signals-dev data not found; nothing to measure", file=sys.stderr)
        return 0
    for file in [f for f in args.files.split(",") if f]:
        view = VIEW_OF_FILE.get(file, "row")
        units = [u for u in devset.load_units(files=[file]) if u.view == view]
        units = units[: args.limit] if args.limit > 0 else units
        if units:
            print(score(file, units, classify_lines([u.text for u in units])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
