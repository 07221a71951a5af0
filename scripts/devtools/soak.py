"""Soak test: run the daemon against a fixture web for a long time and watch its resources.

    python -m scripts.devtools.soak --companies 2000 --minutes 30 --interval 60 --out soak-out

The script starts a fixture web in this process (so its content clock can be moved forward:
new posts appear and the crawler's revisits find them), imports the world's customers, and
starts ``ascent run`` as a child process with short crawl and classify intervals and a health
endpoint on a free port. Every ``--interval`` seconds it samples the daemon's RSS, open file
descriptors, database and WAL size, event-loop lag (``/healthz``), pages fetched, documents,
passages, signals and the classification backlog (``/metrics``, database). It writes
``soak.csv``, ``soak.json`` and a plot (PNG with matplotlib, else an SVG) under ``--out`` and
prints, per series, whether it is flat after warm-up: the slope of the second half, relative to
the series' level, within a tolerance.

The database grows with what is crawled, so its raw size is reported but judged per stored
item: database bytes per document and per passage must be flat (constant cost per new item,
no waste), and the classification backlog must stay bounded (the daemon pauses the crawl at
``--backlog-limit``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scripts.fixture_web import FixtureWeb, World
from scripts.settings import Settings, to_toml

KINDS = ("customers", "products", "agreements", "fit", "outcomes")
# Series that must not grow once the daemon is warm (counters such as pages are expected to).
FLAT_SERIES = (
    "rss_mb",
    "open_fds",
    "wal_mb",
    "loop_lag_s",
    "backlog",
    "db_kb_per_document",
    "db_kb_per_passage",
)
GROWING_SERIES = ("db_mb", "pages_fetched", "documents", "passages", "signals")


class BackgroundFixtureWeb:
    """A fixture web served from its own event loop in a thread, with a reachable clock."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.web: FixtureWeb | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="fixture-web", daemon=True)
        self._error: BaseException | None = None

    def __enter__(self) -> FixtureWeb:
        self._thread.start()
        if not self._ready.wait(120) or self.web is None:
            raise RuntimeError(f"the fixture web did not start: {self._error!r}")
        return self.web

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def advance(self, hours: float) -> None:
        """Move the content clock forward (thread-safe): posts dated up to then appear."""
        web = self.web
        if web is not None:
            self._loop.call_soon_threadsafe(lambda: web.clock.advance(hours=hours))

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to the waiting thread
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with FixtureWeb(self.world, port=0, dns_port=0) as web:
            self.web = web
            self._ready.set()
            await self._stop.wait()


def fixture_settings(web: FixtureWeb, *, per_host_delay: float = 0.05, **crawler: Any) -> Settings:
    """Settings that point the crawler at ``web`` (as the demo does), plus overrides."""
    base = Settings()
    hosts = sorted({web.world.forum_host, web.world.social_host})
    crawler_settings = dataclasses.replace(
        base.crawler,
        resolve=web.resolve_map(),
        nameservers=[web.nameserver],
        allow_private_addresses=True,
        seed_scheme="http",  # the fixture web serves plain HTTP only
        forum_hosts=hosts,
        per_host_delay=per_host_delay,
        **crawler,
    )
    return dataclasses.replace(base, crawler=crawler_settings)


def write_settings(settings: Settings, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(settings), encoding="utf-8")
    return path


def ascent(db: Path, config: Path | None, *args: str) -> list[str]:
    """The command line of one ``ascent`` invocation (this interpreter, no PATH lookup)."""
    command = [sys.executable, "-m", "scripts.cli", "--db", str(db)]
    if config is not None:
        command += ["--config", str(config)]
    return command + list(args)


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def import_world(world: World, db: Path, config: Path, folder: Path) -> None:
    """Write the world's CSVs and import them with ``ascent import`` (all five kinds)."""
    written = world.write_csv(folder)
    for kind in KINDS:
        subprocess.run(
            ascent(db, config, "import", kind, str(written[kind])),
            check=True,
            capture_output=True,
            env=child_env(),
            timeout=600,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_text(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(response.read().decode("utf-8"))


def metric_sum(text: str, name: str) -> float:
    """Sum of every sample of ``name`` (any labels) in Prometheus text."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {"):
            with contextlib.suppress(ValueError, IndexError):
                total += float(line.rsplit(" ", 1)[1])
    return total


def file_mb(path: Path) -> float:
    try:
        return path.stat().st_size / 1e6
    except FileNotFoundError:
        return 0.0


def process_rss_mb(pid: int) -> float:
    """RSS of the daemon and its children (the parse workers), in MB."""
    import psutil

    try:
        parent = psutil.Process(pid)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total / 1e6


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


COUNTS = {
    "documents": "SELECT count(*) FROM documents",
    "backlog": "SELECT count(*) FROM documents WHERE classified_at IS NULL",
    "passages": "SELECT count(*) FROM passages",
    "signals": "SELECT count(*) FROM signals",
}


def count_rows(db: Path) -> dict[str, float]:
    """Row counts of ``COUNTS`` in one read-only connection (-1 each when it fails)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
            return {key: float(conn.execute(sql).fetchone()[0]) for key, sql in COUNTS.items()}
    except sqlite3.Error:
        return dict.fromkeys(COUNTS, -1.0)


def per_item_kb(db_mb: float, items: float) -> float:
    return round(db_mb * 1000 / items, 3) if items > 0 else -1.0


def sample(pid: int, db: Path, health_url: str, began: float) -> dict[str, float]:
    counts = count_rows(db)
    db_mb = round(file_mb(db), 3)
    row: dict[str, float] = {
        "t_s": round(time.monotonic() - began, 1),
        "rss_mb": round(process_rss_mb(pid), 2),
        "open_fds": open_fds(pid),
        "db_mb": db_mb,
        "wal_mb": round(file_mb(db.with_name(db.name + "-wal")), 3),
        "loop_lag_s": -1.0,
        "pages_fetched": -1.0,
        **counts,
        "db_kb_per_document": per_item_kb(db_mb, counts["documents"]),
        "db_kb_per_passage": per_item_kb(db_mb, counts["passages"]),
        "load_1m": round(os.getloadavg()[0], 2),  # the machine is shared: context for the rest
    }
    with contextlib.suppress(OSError, ValueError):
        health = json.loads(get_text(f"{health_url}/healthz"))
        row["loop_lag_s"] = float(health.get("event_loop_lag_s", -1.0))
    with contextlib.suppress(OSError, ValueError):
        metrics = get_text(f"{health_url}/metrics")
        row["pages_fetched"] = metric_sum(metrics, "ascent_job_fetches_total")
    return row


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per hour."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return cov / var * 3600.0


FLOORS = {
    "rss_mb": 5.0,
    "open_fds": 2.0,
    "wal_mb": 4.0,
    "loop_lag_s": 0.05,
    "backlog": 100.0,
    "db_kb_per_document": 1.0,
    "db_kb_per_passage": 0.1,
}


def flatness(rows: list[dict[str, float]], tolerance: float) -> dict[str, dict[str, Any]]:
    """Per series: the second half's trend and peak against the warm first half, and a verdict.

    A series *grows* when both of these say so: its least-squares slope over the second half
    exceeds ``tolerance`` of its level per hour, and its second-half peak exceeds the peak
    of the first half after warm-up (the first tenth of the samples) by more than
    ``tolerance`` of that peak per hour (between the two halves' middles). Either alone
    misjudges the daemon's series: a sawtooth (RSS and descriptors high while a crawl pass's
    parse workers run, the backlog between classify passes) has a steep slope whenever the
    soak ends mid-tooth, and a one-off spike (event-loop lag on a loaded machine) makes a new
    peak without any trend. A leak does both. Absolute floors keep near-zero series from failing on noise.
    """
    warm = rows[max(1, len(rows) // 10) : len(rows) // 2]
    half = rows[len(rows) // 2 :]
    verdicts: dict[str, dict[str, Any]] = {}
    for key in FLAT_SERIES:
        points = [(r["t_s"], r[key]) for r in half if r[key] >= 0]
        warm_values = [r[key] for r in warm if r[key] >= 0]
        if len(points) < 2 or not warm_values:
            verdicts[key] = {"flat": None, "reason": "too few samples"}
            continue
        slope = slope_per_hour(points)
        level = max(abs(sum(v for _, v in points) / len(points)), FLOORS[key])
        warm_peak = max(warm_values)
        late_peak = max(v for _, v in points)
        peak_growth = (late_peak - warm_peak) / max(warm_peak, FLOORS[key])
        # per hour between the two windows' middles, so a slow leak cannot hide in a short soak
        apart_h = max(_mean_t(half) - _mean_t(warm), 60.0) / 3600.0
        verdicts[key] = {
            "first": rows[0][key],
            "last": rows[-1][key],
            "max": max(r[key] for r in rows),
            "slope_per_hour": round(slope, 4),
            "relative_slope_per_hour": round(slope / level, 4),
            "warm_peak": warm_peak,
            "late_peak": late_peak,
            "peak_growth": round(peak_growth, 4),
            "peak_growth_per_hour": round(peak_growth / apart_h, 4),
            # only growth counts against a series
            "flat": slope / level <= tolerance or peak_growth / apart_h <= tolerance,
        }
    for key in GROWING_SERIES:
        verdicts[key] = {"first": rows[0][key], "last": rows[-1][key]}
    return verdicts


def _mean_t(rows: list[dict[str, float]]) -> float:
    return sum(r["t_s"] for r in rows) / len(rows)


def write_series(rows: list[dict[str, float]], out: Path) -> None:
    with (out / "soak.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot(rows: list[dict[str, float]], out: Path) -> Path:
    keys = [*FLAT_SERIES, *GROWING_SERIES]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return _svg(rows, keys, out / "soak.svg")
    fig, axes = plt.subplots(len(keys), 1, figsize=(8, 2 * len(keys)), sharex=True)
    minutes = [r["t_s"] / 60 for r in rows]
    for axis, key in zip(axes, keys, strict=True):
        axis.plot(minutes, [r[key] for r in rows])
        axis.set_ylabel(key)
    axes[-1].set_xlabel("minutes")
    fig.tight_layout()
    target = out / "soak.png"
    fig.savefig(target)
    return target


def _svg(rows: list[dict[str, float]], keys: list[str], target: Path) -> Path:
    """One small line chart per series, drawn by hand (no plotting library needed)."""
    width, height, gap = 600, 90, 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 160}" '
        f'height="{len(keys) * (height + gap)}" font-family="sans-serif" font-size="11">'
    ]
    times = [r["t_s"] for r in rows]
    t_max = max(times) or 1.0
    for index, key in enumerate(keys):
        top = index * (height + gap) + 5
        values = [r[key] for r in rows]
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        points = " ".join(
            f"{150 + t / t_max * width:.1f},{top + height - (v - low) / span * height:.1f}"
            for t, v in zip(times, values, strict=True)
        )
        parts.append(f'<text x="0" y="{top + 12}">{key}</text>')
        parts.append(f'<text x="0" y="{top + 28}">{low:g} .. {high:g}</text>')
        parts.append(f'<rect x="150" y="{top}" width="{width}" height="{height}" fill="none" stroke="#ccc"/>')
        parts.append(f'<polyline points="{points}" fill="none" stroke="#1f77b4"/>')
    parts.append("</svg>")
    target.write_text("\n".join(parts), encoding="utf-8")
    return target


@contextlib.contextmanager
def daemon_process(db: Path, config: Path, log: Path, tick: float = 1.0) -> Iterator[subprocess.Popen[bytes]]:
    """``ascent run`` as a child; SIGTERM (drain) on exit, SIGKILL if it does not stop."""
    with log.open("wb") as handle:
        process = subprocess.Popen(
            ascent(db, config, "run", "--tick", str(tick)),
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=child_env(),
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the daemon exited with {process.returncode}")
        with contextlib.suppress(OSError):
            get_text(f"{url}/healthz", timeout=2)
            return
        time.sleep(0.5)
    raise RuntimeError("the daemon's health endpoint did not answer")


def rejudge(args: argparse.Namespace) -> dict[str, Any]:
    """Verdicts and plot again from a finished soak's ``soak.json`` (no new run)."""
    saved = json.loads(Path(args.rejudge).read_text(encoding="utf-8"))
    rows: list[dict[str, float]] = saved["rows"]
    summary: dict[str, Any] = saved["summary"]
    args.out.mkdir(parents=True, exist_ok=True)
    summary["series"] = flatness(rows, args.tolerance)
    summary["plot"] = str(plot(rows, args.out))
    (args.out / "soak.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=1), "utf-8")
    return summary


def soak(args: argparse.Namespace) -> dict[str, Any]:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    db = out / "ascent.db"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    world = World.generate(args.companies, args.seed)
    fixture = BackgroundFixtureWeb(world)
    with fixture as web:
        port = free_port()
        settings = fixture_settings(
            web,
            revisit_min_s=args.revisit_s,
            revisit_max_s=args.revisit_max_s,
            concurrency=args.concurrency,
        )
        settings = dataclasses.replace(
            settings,
            daemon=dataclasses.replace(
                settings.daemon,
                health_port=port,
                crawl_interval_s=args.crawl_interval,
                crawl_max_seconds=args.crawl_interval * 4,
                classify_interval_s=args.crawl_interval,
                classify_batch_documents=args.classify_batch,
                classify_backlog_limit=args.backlog_limit,
            ),
            reports=dataclasses.replace(settings.reports, folder=str(out / "reports")),
        )
        config = write_settings(settings, out / "ascent.toml")
        print(f"importing {args.companies} companies", flush=True)
        import_world(world, db, config, out / "csv")
        url = f"http://127.0.0.1:{port}"
        rows: list[dict[str, float]] = []
        with daemon_process(db, config, out / "daemon.log") as process:
            wait_healthy(url, process)
            began = time.monotonic()
            end = began + args.minutes * 60
            next_sample = began
            while time.monotonic() < end and process.poll() is None:
                if time.monotonic() >= next_sample:
                    rows.append(sample(process.pid, db, url, began))
                    print(json.dumps(rows[-1]), flush=True)
                    write_series(rows, out)
                    next_sample += args.interval
                    # The content clock runs fast: each sample interval is this many hours.
                    fixture.advance(args.clock_hours_per_interval)
                time.sleep(min(1.0, max(0.0, next_sample - time.monotonic())))
            crashed = process.poll() is not None
    if not rows:
        raise RuntimeError("no samples taken")
    verdicts = flatness(rows, args.tolerance)
    summary = {
        "command": " ".join(sys.argv),
        "companies": args.companies,
        "minutes": args.minutes,
        "interval_s": args.interval,
        "backlog_limit": args.backlog_limit,
        "load_average": os.getloadavg(),
        "samples": len(rows),
        "daemon_exited_early": crashed,
        "series": verdicts,
        "plot": str(plot(rows, out)),
    }
    (out / "soak.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=1), "utf-8")
    return summary


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("soak-out"))
    parser.add_argument("--crawl-interval", type=float, default=30.0, help="daemon crawl/classify s")
    parser.add_argument("--revisit-s", type=float, default=120.0, help="crawler revisit_min_s")
    parser.add_argument(
        "--revisit-max-s",
        type=float,
        default=900.0,
        help="crawler revisit_max_s (short, so revisits of changed pages happen within the soak)",
    )
    parser.add_argument(
        "--backlog-limit", type=int, default=1000, help="daemon classify_backlog_limit (documents)"
    )
    parser.add_argument("--classify-batch", type=int, default=100, help="daemon classify_batch_documents")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--clock-hours-per-interval",
        type=float,
        default=24.0,
        help="content-clock hours the fixture web moves forward per sample interval",
    )
    parser.add_argument(
        "--tolerance", type=float, default=0.25, help="largest flat growth per hour, relative"
    )
    parser.add_argument(
        "--rejudge", type=Path, help="a finished soak's soak.json: verdicts and plot again, no run"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    summary = rejudge(args) if args.rejudge else soak(args)
    print(f"{'series':<20}{'first':>10}{'last':>10}{'max':>10}{'slope/h':>12}{'peak+/h':>9}  verdict")
    flat_ok = True
    for key, verdict in summary["series"].items():
        if key in GROWING_SERIES:
            print(f"{key:<20}{verdict['first']:>10g}{verdict['last']:>10g}")
            continue
        if verdict.get("flat") is None:
            print(f"{key:<20}  {verdict['reason']}")
            continue
        flat_ok &= bool(verdict["flat"])
        word = "flat" if verdict["flat"] else "GROWING"
        print(
            f"{key:<20}{verdict['first']:>10g}{verdict['last']:>10g}{verdict['max']:>10g}"
            f"{verdict['slope_per_hour']:>12g}{verdict['peak_growth_per_hour']:>9.1%}  {word}"
        )
    print(f"plot: {summary['plot']}")
    if summary["daemon_exited_early"]:
        print("the daemon exited before the end of the soak")
        return 1
    return 0 if flat_ok else 1


if __name__ == "__main__":
    sys.exit(main())
