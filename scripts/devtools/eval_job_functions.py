"""Role typing on job ads of many employers, labelled by the ad's job function (EMSCAD columns).

    python -m scripts.devtools.eval_job_functions PATH/fake_job_postings.csv [--convention google]

The dev set's one job-ad source (google-jobs) is a single employer whose labels follow its
job categories; this measures the same role typing on a second, independently labelled
source: job ads of many employers in the EMSCAD column layout (title, description, industry,
function, fraudulent), read in place from a file the user supplies (never stored here).

Each genuine ad (``fraudulent`` = 0) is labelled from its ``function`` by a fixed mapping,
written before anything was measured (``--convention ours``): IT and data functions, and
engineering in a computing industry, are ``hiring_tech``; sales, customer service and
business development are ``hiring_sales``; finance, accounting and financial analysis are
``hiring_finance``; functions of roles the taxonomy has no type for are ``none``; ambiguous
functions (management, consulting, research, engineering elsewhere …) and unlabelled ads are
not scored. ``--convention google`` files administration, supply chain, manufacturing and
purchasing under ``hiring_finance`` instead, as the dev set's google-jobs labels do.

Two readings are scored: the title stage alone (``signals.roles.role_family`` on the title) and
a real ``ascent classify --stdin --json`` process given each ad's first 300 characters
(title, then description), as an evaluator sends it.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.devtools.devset import HEAD_CHARS
from scripts.devtools.eval_stdin import HIRING, classify_lines
from signals.roles import role_family
from signals.taxonomy import NONE

TECH_FUNCTIONS = {"Information Technology", "Data Analyst"}
COMPUTING_INDUSTRIES = {
    "Computer Software",
    "Internet",
    "Information Technology and Services",
    "Computer Networking",
    "Computer & Network Security",
    "Computer Hardware",
    "Computer Games",
}
SALES_FUNCTIONS = {"Sales", "Customer Service", "Business Development"}
FINANCE_FUNCTIONS = {"Finance", "Accounting/Auditing", "Financial Analyst"}
BACK_OFFICE_FUNCTIONS = {"Administrative", "Supply Chain", "Manufacturing", "Purchasing"}
UNTYPED_FUNCTIONS = {
    "Marketing",
    "Design",
    "Education",
    "Health Care Provider",
    "Human Resources",
    "Legal",
    "Art/Creative",
    "Writing/Editing",
    "Public Relations",
    "Advertising",
    "Production",
    "Distribution",
    "Training",
}


def label_of(row: dict[str, str], convention: str) -> str | None:
    """The role type an ad's function names, or None when it is not scored."""
    function, industry = row.get("function", "").strip(), row.get("industry", "").strip()
    if function in TECH_FUNCTIONS or (function == "Engineering" and industry in COMPUTING_INDUSTRIES):
        return "hiring_tech"
    if function in SALES_FUNCTIONS:
        return "hiring_sales"
    if function in FINANCE_FUNCTIONS:
        return "hiring_finance"
    if function in BACK_OFFICE_FUNCTIONS:
        return "hiring_finance" if convention == "google" else NONE
    if function in UNTYPED_FUNCTIONS:
        return NONE
    return None


def read_ads(path: Path, convention: str) -> list[tuple[dict[str, str], str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("fraudulent", "0").strip() == "0"]
    labelled = [(r, label_of(r, convention)) for r in rows]
    return [(r, label) for r, label in labelled if label is not None]


def opening(row: dict[str, str]) -> str:
    return " ".join(f"{row.get('title', '')}. {row.get('description', '')}".split())[:HEAD_CHARS]


def role_answer(answer: str) -> str:
    """A classifier answer read as a role: a hiring type, or none for anything else."""
    return answer if answer in HIRING else NONE


def accuracy(said: Sequence[str], truth: Sequence[str]) -> float:
    return sum(s == t for s, t in zip(said, truth, strict=True)) / max(1, len(truth))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--convention", choices=("ours", "google"), default="ours")
    args = parser.parse_args(argv)
    ads = read_ads(args.path, args.convention)
    if not ads:
        print(f"{args.path}: no scored ads", file=sys.stderr)
        return 1
    truth = [label for _, label in ads]
    print(f"{len(ads)} scored ads: {dict(Counter(truth))}")
    titles = [role_family(r.get("title", "")) or NONE for r, _ in ads]
    answers = [role_answer(a) for a in classify_lines([opening(r) for r, _ in ads])]
    typed = [i for i, t in enumerate(truth) if t != NONE]
    for name, said in (("title stage", titles), ("classify --stdin, first 300 chars", answers)):
        right_typed = accuracy([said[i] for i in typed], [truth[i] for i in typed])
        print(
            f"{name}: accuracy {accuracy(said, truth):.3f}; typed ads right {right_typed:.3f} of {len(typed)}"
        )
    confusions = Counter(zip(truth, answers, strict=True))
    print(
        "classify --stdin (truth -> said):",
        ", ".join(f"{t}->{s} {n}" for (t, s), n in confusions.most_common(8)),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
