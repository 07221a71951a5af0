"""`ascent classify`: turn stored documents (or passages on standard input) into signals."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

NAME = "classify"
HELP = "classify documents not yet classified into buying signals (or passages from stdin)"

# One model call takes at most this many lines and characters, so a batch of long lines
# costs no more time and memory than one of short lines.
STDIN_CHUNK = 256
STDIN_CHUNK_CHARS = 64_000
# A line whose visible characters are less than this share letters (random or binary bytes,
# symbol soup) is answered "none" without the model: such text has no signal, and it is the
# slowest kind to embed (every odd character is a token of its own).
MIN_LETTER_SHARE = 0.5
# Labels listed under "scores" per passage.
TOP_SCORES = 3
# The explanation names the runner-up when its probability is at least this share of the
# winner's: the passage could well have been read the other way.
CLOSE_RUNNER_UP = 0.5


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stdin",
        action="store_true",
        help="classify one passage per input line instead of stored documents",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON: one object per input line with --stdin, else a run summary",
    )
    parser.add_argument("--max-documents", type=int, default=None, help="stop after this many documents")
    parser.add_argument("--no-progress", action="store_true", help="do not draw the progress bar")


def main(args: argparse.Namespace) -> int:
    from scripts.context import settings_from

    settings = settings_from(args)
    if args.stdin:
        return _classify_stdin(args, settings)
    return asyncio.run(_classify_store(args, settings))


def _clean(raw: bytes, limit: int) -> str:
    """One input line as text: undecodable bytes replaced, control characters dropped."""
    text = raw[: limit * 4].decode("utf-8", errors="replace")
    text = "".join(ch if ch.isprintable() or ch == " " else " " for ch in text)
    return " ".join(text.split())[:limit]


def _worth_classifying(text: str) -> bool:
    """Long enough to hold a signal (as for stored passages) and mostly letters (see
    MIN_LETTER_SHARE); anything else is answered "none" without the model."""
    from signals.pipeline import MIN_PASSAGE_CHARS

    if len(text) < MIN_PASSAGE_CHARS:
        return False
    visible = [ch for ch in text if not ch.isspace()]
    return sum(1 for ch in visible if ch.isalpha()) >= MIN_LETTER_SHARE * len(visible)


def _lines(stream: Any, max_bytes: int) -> Iterator[bytes]:
    """Input lines of at most ``max_bytes``: the rest of a longer line is read in pieces and
    dropped, never held whole (a file without a newline would otherwise be one line)."""
    while line := stream.readline(max_bytes):
        if len(line) == max_bytes and not line.endswith(b"\n"):
            while (rest := stream.readline(max_bytes)) and not rest.endswith(b"\n"):
                pass
        yield line


def _chunks(stream: Any, limit: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    chars = 0
    for raw in _lines(stream, limit * 4 + 2):
        text = _clean(raw.rstrip(b"\r\n"), limit)
        chunk.append(text)
        chars += len(text)
        if len(chunk) >= STDIN_CHUNK or chars >= STDIN_CHUNK_CHARS:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def _classify_stdin(args: argparse.Namespace, settings: Any) -> int:
    from signals.pipeline import classify_scored, load_models

    embedder, classifier = load_models(settings.signals)
    out = sys.stdout
    for texts in _chunks(sys.stdin.buffer, settings.signals.max_stdin_line_chars):
        # Only lines worth it go to the model and the explanation (a model call and the
        # nearest examples cost milliseconds a line): the rest are "none" at once.
        filled = [i for i, t in enumerate(texts) if _worth_classifying(t)]
        lines = [texts[i] for i in filled]
        found: dict[int, tuple[Any, Any]] = {}
        if lines:
            vectors = embedder.encode(lines)
            # one scoring pass gives both the decisions and the "scores" of each line
            results, rows = classify_scored(lines, vectors, classifier, encode=embedder.encode)
            found = dict(zip(filled, zip(results, rows, strict=True), strict=True))
        for index, text in enumerate(texts):
            result, row = found.get(index) or (dataclasses.replace(_empty(None), text=text), None)
            if args.json:
                line = with_scores(result.as_json(), classifier.labels, row)
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
            else:
                out.write(f"{result.signal_type}\t{result.confidence:.2f}\t{text}\n")
        out.flush()
    return 0


def with_scores(line: dict[str, Any], labels: Sequence[str], probabilities: Any) -> dict[str, Any]:
    """The passage's JSON with ``scores`` (the most probable labels, best first) and, when
    the runner-up came close to the emitted label, ``explanation.runner_up``."""
    if probabilities is None:  # a line never sent to the model (empty, noise): nothing
        line["scores"] = [{"label": "none", "probability": 1.0}]
        return line
    order = sorted(range(len(labels)), key=lambda i: -float(probabilities[i]))[:TOP_SCORES]
    line["scores"] = [{"label": labels[i], "probability": round(float(probabilities[i]), 4)} for i in order]
    emitted = line["signal_type"]
    others = [s for s in line["scores"] if s["label"] != emitted]
    mine = next((s["probability"] for s in line["scores"] if s["label"] == emitted), line["confidence"])
    if others and others[0]["probability"] >= CLOSE_RUNNER_UP * max(mine, 1e-9):
        line["explanation"]["runner_up"] = others[0]
    return line


def _empty(result: Any) -> Any:
    """An empty line is never a signal (its vector is zero, so its neighbours mean nothing)."""
    from signals.explain import Explanation, why_now
    from signals.pipeline import PassageResult

    return PassageResult(
        text="",
        signal_type="none",
        confidence=1.0,
        areas=[],
        explanation=Explanation(key_phrase="", nearest_examples=[], why_now=why_now("none", "")),
    )


async def _classify_store(args: argparse.Namespace, settings: Any) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from scripts.context import store_from
    from scripts.exits import EXIT_INTERRUPTED, EXIT_OK
    from scripts.wiring import classify_pipeline, load_models_unless_stopped
    from signals.pipeline import ClassifyStats

    stop = asyncio.Event()
    signalled = _stop_on_signals(stop)
    store = await store_from(args, settings)
    async with store:
        total = await store.signals.pending_count()
        if args.max_documents is not None:
            total = min(total, args.max_documents)
        run_id = await store.runs.start("classify", "", {"pending": total})
        show = not args.no_progress and not args.json and sys.stderr.isatty()
        progress = Progress(
            TextColumn("classify"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[signals]} signals"),
            TimeElapsedColumn(),
            disable=not show,
            transient=False,
        )
        stats = ClassifyStats()
        status = "failed"
        try:
            with progress:
                task = progress.add_task("classify", total=total, signals=0)

                def advance(now: ClassifyStats) -> None:
                    progress.update(task, completed=now.documents, signals=now.signals)

                # A stop during the model load (seconds to a minute) ends the command at once.
                models = await load_models_unless_stopped(settings.signals, stop) if total else None
                if models is not None:
                    pipeline = classify_pipeline(store, models, settings.signals)
                    stats = await pipeline.run(max_documents=args.max_documents, progress=advance, stop=stop)
                else:
                    stats.left = await store.signals.pending_count()
            status = "stopped" if signalled else "ok"
        finally:
            await store.runs.finish(run_id, status, stats.as_json())
    summary = stats.as_json()
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print(f"classify {status}: {_summary_line(stats)}")
    return EXIT_INTERRUPTED if signalled else EXIT_OK


def _stop_on_signals(stop: asyncio.Event) -> list[int]:
    """SIGINT and SIGTERM set ``stop`` (the batch in hand finishes, the rest is given back)
    instead of killing the process with documents leased; returns the signals received."""
    import signal

    signalled: list[int] = []
    loop = asyncio.get_running_loop()

    def handler(sig: int) -> None:
        signalled.append(sig)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(sig, handler, sig)
    return signalled


def _summary_line(stats: Any) -> str:
    """What the run left in the database, what it skipped and what is still waiting."""
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(stats.by_type.items())) or "none"
    line = (
        f"classified {stats.documents} document(s), {stats.passages} passage(s) "
        f"({stats.boilerplate} boilerplate), {stats.signals} signal(s) [{kinds}]; "
        f"skipped {stats.lost_leases}, sent back to the queue {stats.requeued}, "
        f"left for later {stats.left}"
    )
    if stats.reclaimed:
        line += f"; took back {stats.reclaimed} document(s) leased by a classify that is gone"
    return line + f"; embedded {stats.embedded}, reused {stats.reused} cached; {stats.seconds:.1f}s"
