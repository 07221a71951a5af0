"""Bad settings tried against the real command line: every one must be refused up front.

    python -m scripts.devtools.eval_settings [--timeout 30]

Each case runs `ascent` in a child process with one bad value, from a settings file or an
``ASCENT_*`` variable, on a fresh database path. Printed as a markdown table: the command's
exit code, whether it answered within the timeout (issue #20: ``storage.readers = 0`` used to
hang forever), whether the database was touched, and the one line it printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# (what is set, the TOML of a settings file or None, the environment, the command)
CASES: list[tuple[str, str | None, dict[bytes, bytes], list[str]]] = [
    ("storage.readers = 0", "[storage]\nreaders = 0\n", {}, ["sources", "contoso.com"]),
    ("storage.readers = -1", "[storage]\nreaders = -1\n", {}, ["explain", "contoso.com"]),
    ("fetch_deadline_s = -3", "[crawler]\nfetch_deadline_s = -3\n", {}, ["crawl", "--once"]),
    ("fetch_deadline_s = nan", "[crawler]\nfetch_deadline_s = nan\n", {}, ["crawl", "--once"]),
    ("user_agent with CR/LF", '[crawler]\nuser_agent = "a\\r\\nX-Evil: 1"\n', {}, ["crawl", "--once"]),
    ("user_agent non-UTF-8 (env)", None, {b"ASCENT_CRAWLER__USER_AGENT": b"bot/\xff"}, ["crawl", "--once"]),
    ("max_body_bytes = -1", "[crawler]\nmax_body_bytes = -1\n", {}, ["crawl", "--once"]),
    ("concurrency = 0", "[crawler]\nconcurrency = 0\n", {}, ["crawl", "--once"]),
    ("concurrency = -5 (env)", None, {b"ASCENT_CRAWLER__CONCURRENCY": b"-5"}, ["crawl", "--once"]),
    ("concurrency = garbage (env)", None, {b"ASCENT_CRAWLER__CONCURRENCY": b"lots"}, ["classify"]),
    ("per_host_delay = nan (env)", None, {b"ASCENT_CRAWLER__PER_HOST_DELAY": b"nan"}, ["settings"]),
    ("misspelt variable", None, {b"ASCENT_CRAWLER__CONCURENCY": b"4"}, ["settings"]),
    ("seed_scheme = ftp", '[crawler]\nseed_scheme = "ftp"\n', {}, ["crawl", "--once"]),
    ("revisit_min_s > revisit_max_s", "[crawler]\nrevisit_min_s = 2e6\n", {}, ["run"]),
    ("intent.surge_gain = 0.5", "[intent]\nsurge_gain = 0.5\n", {}, ["monthly", "--month", "2026-11"]),
    (
        "intent.prices Copilot = inf",
        '[intent.prices]\n"Copilot" = inf\n',
        {},
        ["export", "--month", "2026-11"],
    ),
    ("signals.classifier = bert", '[signals]\nclassifier = "bert"\n', {}, ["classify"]),
    ("web.page_size = 0", "[web]\npage_size = 0\n", {}, ["serve"]),
    ("daemon.health_port = 70000", "[daemon]\nhealth_port = 70000\n", {}, ["run"]),
    ("non-UTF-8 settings file", '[crawler]\nuser_agent = "\xff"\n', {}, ["settings"]),
    ("malformed settings file", "[crawler\n", {}, ["settings"]),
]


def try_case(
    config: str | None, env: dict[bytes, bytes], command: list[str], timeout: float
) -> tuple[str, str, str]:
    """(exit code or 'hung', database touched?, the first line printed)."""
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "ascent.db"
        argv = [sys.executable, "-m", "scripts.cli", "--db", str(db)]
        if config is not None:
            path = Path(scratch) / "ascent.toml"
            path.write_bytes(config.encode("latin-1"))
            argv += ["--config", str(path)]
        clean = {k: v for k, v in os.environb.items() if not k.startswith(b"ASCENT_")}
        try:
            done = subprocess.run(
                [*argv, *command], env={**clean, **env}, cwd=REPO, capture_output=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return "hung", "yes" if db.exists() else "no", f"(no answer in {timeout:g} s)"
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or [""]
        message = lines[0].replace(scratch, "DIR") + (f" (+{len(lines) - 1} lines)" if len(lines) > 1 else "")
        return str(done.returncode), "yes" if db.exists() else "no", message


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a case counts as hung")
    args = parser.parse_args(argv)
    print("| bad setting | command | exit | db touched | message |")
    print("|---|---|---:|---|---|")
    refused = 0
    for label, config, env, command in CASES:
        code, touched, message = try_case(config, env, command, args.timeout)
        refused += code == "2" and touched == "no"
        shown = message.replace("|", "\\|")
        print(f"| {label} | `ascent {' '.join(command)}` | {code} | {touched} | `{shown}` |")
    print(f"\n{refused} of {len(CASES)} refused with exit 2 before touching the database")
    return 0 if refused == len(CASES) else 1


if __name__ == "__main__":
    sys.exit(main())
