"""Benchmark main-text extraction: snippet precision/recall/F1 and pages/s, vs trafilatura.

Data: the trafilatura evaluation set (990 real pages with text snippets that must / must not
appear in the main text), read in place from ``../shared/data/extract-trafilatura`` (or
``--data DIR``). Scoring is trafilatura's own: per page, every "with" snippet found is a true
positive (missing: false negative), every "without" snippet found is a false positive (absent:
true negative); whitespace is normalised on both sides before the substring test.

trafilatura is measured on the same pages in the same run, in its own virtual environment so
that it never becomes a dependency of the product. Create it once with::

    python3 -m venv .bench-venv && .bench-venv/bin/pip install trafilatura lxml_html_clean

(``lxml_html_clean`` is needed by trafilatura's jusText fallback with recent lxml.) Without it
the trafilatura row is skipped. Timed passes of the two engines alternate, best of
``--repeat`` kept for each, so that load on the machine affects both alike. Run::

    .venv/bin/python scripts/devtools/bench_extract.py [--limit N] [--repeat 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "extract-trafilatura"
BENCH_VENV_PYTHON = REPO / ".bench-venv" / "bin" / "python"
_WS = re.compile(r"\s+")


@dataclass
class Page:
    url: str
    html: bytes
    with_snippets: list[str]
    without_snippets: list[str]
    date: str | None = None  # annotated publish date, when the set has one
    title: str | None = None


@dataclass
class Score:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fn += other.fn
        self.fp += other.fp
        self.tn += other.tn

    @property
    def precision(self) -> float:
        return self.tp / max(self.tp + self.fp, 1)

    @property
    def recall(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / max(self.tp + self.tn + self.fp + self.fn, 1)


def normalize(text: str) -> str:
    return _WS.sub(" ", text).strip()


def score_page(text: str, page: Page) -> Score:
    body = normalize(text)
    score = Score()
    for snippet in page.with_snippets:
        if normalize(snippet) in body:
            score.tp += 1
        else:
            score.fn += 1
    for snippet in page.without_snippets:
        if normalize(snippet) in body:
            score.fp += 1
        else:
            score.tn += 1
    return score


def load_pages(data_dir: Path, limit: int | None = None) -> list[Page]:
    """Pages of the evaluation set, read straight from the archive (nothing is unpacked)."""
    annotations: dict[str, dict[str, object]] = json.loads(
        (data_dir / "evaldata.json").read_text(encoding="utf-8")
    )
    by_file: dict[str, bytes] = {}
    with tarfile.open(data_dir / "html.tar.gz") as archive:
        for member in archive:
            if member.isfile():
                handle = archive.extractfile(member)
                if handle is not None:
                    by_file[member.name.split("/", 1)[-1]] = handle.read()
    pages: list[Page] = []
    for url, entry in sorted(annotations.items()):
        html = by_file.get(str(entry["file"]))
        if html is None:
            continue
        pages.append(
            Page(
                url=url,
                html=html,
                with_snippets=[str(s) for s in entry.get("with", [])],  # type: ignore[attr-defined]
                without_snippets=[str(s) for s in entry.get("without", [])],  # type: ignore[attr-defined]
                date=str(entry["date"]) if entry.get("date") else None,
                title=str(entry["title"]) if entry.get("title") else None,
            )
        )
    return pages[:limit] if limit else pages


def timed_pass(extract: Callable[[bytes], str], pages: list[Page]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one pass over the pages."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    for page in pages:
        extract(page.html)
    return time.perf_counter() - started, time.process_time() - cpu_started


def score_texts(texts: list[str], pages: list[Page]) -> Score:
    total = Score()
    for text, page in zip(texts, pages, strict=True):
        total.add(score_page(text, page))
    return total


def metadata_accuracy(pages: list[Page]) -> dict[str, float | int]:
    """Share of annotated pages whose publish day and title we get right."""
    from signals.extract import extract_html

    dated = titled = date_hits = title_hits = 0
    for page in pages:
        if not (page.date or page.title):
            continue
        result = extract_html(page.html, url=page.url)
        if page.date:
            dated += 1
            date_hits += (result.published or "")[:10] == page.date[:10]
        if page.title:
            titled += 1
            title_hits += normalize(result.title or "") == normalize(page.title)
    return {
        "date_accuracy": round(date_hits / max(dated, 1), 4),
        "dated_pages": dated,
        "title_accuracy": round(title_hits / max(titled, 1), 4),
        "titled_pages": titled,
    }


def ascent_extract(html: bytes) -> str:
    from signals.extract import extract_html

    return extract_html(html).text


def trafilatura_extract(html: bytes) -> str:  # runs inside .bench-venv
    import trafilatura

    return (
        trafilatura.extract(html, fast=True, include_comments=False, include_tables=True, deduplicate=False)
        or ""
    )


def _report_line(
    name: str, score: Score, pages_per_s: float, pages_per_cpu_s: float
) -> dict[str, float | str]:
    return {
        "engine": name,
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "f1": round(score.f1, 4),
        "accuracy": round(score.accuracy, 4),
        "pages_per_s": round(pages_per_s, 1),
        "pages_per_cpu_s": round(pages_per_cpu_s, 1),
    }


class TrafilaturaWorker:
    """trafilatura in its own venv and process, driven line by line so that its timed passes
    interleave with ours (machine load then hits both engines alike)."""

    def __init__(self, args: argparse.Namespace) -> None:
        command = [
            str(BENCH_VENV_PYTHON),
            str(Path(__file__).resolve()),
            "--serve-trafilatura",
            "--data",
            str(args.data),
        ]
        if args.limit:
            command += ["--limit", str(args.limit)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._ask("ready")

    def _ask(self, request: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if not answer:
            raise RuntimeError("trafilatura worker stopped")
        return answer

    def timed_pass(self) -> tuple[float, float]:
        wall, cpu = self._ask("run").split()
        return float(wall), float(cpu)

    def score(self) -> Score:
        return Score(**json.loads(self._ask("score")))

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def serve_trafilatura(pages: list[Page]) -> int:
    """Worker side: answer 'ready', 'run' (seconds of one pass), 'score' (counts as JSON)."""
    texts: list[str] | None = None
    for line in sys.stdin:
        request = line.strip()
        if request == "ready":
            texts = [trafilatura_extract(page.html) for page in pages]  # warm-up pass
            print("ok", flush=True)
        elif request == "run":
            wall, cpu = timed_pass(trafilatura_extract, pages)
            print(wall, cpu, flush=True)
        elif request == "score" and texts is not None:
            print(json.dumps(score_texts(texts, pages).__dict__), flush=True)
    return 0


def _worst_pages(texts: list[str], pages: list[Page], count: int) -> Iterator[str]:
    scored = [(score_page(t, p), p) for t, p in zip(texts, pages, strict=True)]
    scored.sort(key=lambda item: -(item[0].fn + item[0].fp))
    for score, page in scored[:count]:
        yield f"fn={score.fn} fp={score.fp} {page.url}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="first N pages only")
    parser.add_argument("--repeat", type=int, default=2, help="timed passes per engine (best kept)")
    parser.add_argument("--no-trafilatura", action="store_true", help="measure ascent only")
    parser.add_argument("--json", action="store_true", help="one JSON line per engine")
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages")
    parser.add_argument("--serve-trafilatura", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (args.data / "evaldata.json").exists():
        print(f"evaluation data not found under {args.data}", file=sys.stderr)
        return 2
    pages = load_pages(args.data, args.limit)
    if args.serve_trafilatura:
        return serve_trafilatura(pages)

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    worker: TrafilaturaWorker | None = None
    if not args.no_trafilatura:
        if BENCH_VENV_PYTHON.exists():
            worker = TrafilaturaWorker(args)
        else:
            print(
                "trafilatura skipped: create .bench-venv first (python3 -m venv .bench-venv && "
                ".bench-venv/bin/pip install trafilatura lxml_html_clean)",
                file=sys.stderr,
            )
    texts = [ascent_extract(page.html) for page in pages]  # warm-up pass, scored
    ours = (float("inf"), float("inf"))
    theirs = (float("inf"), float("inf"))
    for _ in range(max(1, args.repeat)):
        wall, cpu = timed_pass(ascent_extract, pages)
        ours = (min(ours[0], wall), min(ours[1], cpu))
        if worker is not None:
            wall, cpu = worker.timed_pass()
            theirs = (min(theirs[0], wall), min(theirs[1], cpu))
    count = len(pages)
    lines = [_report_line("ascent", score_texts(texts, pages), count / ours[0], count / max(ours[1], 1e-9))]
    if worker is not None:
        lines.append(
            _report_line(
                "trafilatura (fast)",
                worker.score(),
                count / theirs[0],
                count / max(theirs[1], 1e-9),
            )
        )
        worker.close()
    if args.json:
        for line in lines:
            print(json.dumps(line))
    else:
        print(f"pages: {len(pages)}, timed passes per engine: {max(1, args.repeat)} (best kept)")
        print(
            f"{'engine':<20} {'precision':>9} {'recall':>7} {'F1':>6} {'acc':>6} "
            f"{'pages/s':>8} {'pages/cpu-s':>11}"
        )
        for line in lines:
            print(
                f"{line['engine']:<20} {line['precision']:>9.4f} {line['recall']:>7.4f} "
                f"{line['f1']:>6.4f} {line['accuracy']:>6.4f} {line['pages_per_s']:>8.1f} "
                f"{line['pages_per_cpu_s']:>11.1f}"
            )
        if len(lines) == 2:
            wall_ratio = float(lines[0]["pages_per_s"]) / float(lines[1]["pages_per_s"])
            cpu_ratio = float(lines[0]["pages_per_cpu_s"]) / float(lines[1]["pages_per_cpu_s"])
            print(
                f"speed ratio ascent / trafilatura: {wall_ratio:.2f}x wall-clock, {cpu_ratio:.2f}x CPU time"
            )
    meta = metadata_accuracy(pages)
    if args.json:
        print(json.dumps({"engine": "ascent metadata", **meta}))
    else:
        print(
            f"ascent metadata: publish day right on {meta['date_accuracy']:.1%} of "
            f"{meta['dated_pages']} dated pages, title exact on {meta['title_accuracy']:.1%} "
            f"of {meta['titled_pages']}"
        )
    for row in _worst_pages(texts, pages, args.worst):
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
