"""`ascent classify`: turn stored documents (or passages on standard input) into signals."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

NAME = "classify"
HELP = "classify documents not yet classified into buying signals (or passages from stdin)"

STDIN_CHUNK = 256
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


def _chunks(stream: Any, limit: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for raw in stream:
        chunk.append(_clean(raw.rstrip(b"\r\n"), limit))
        if len(chunk) >= STDIN_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _classify_stdin(args: argparse.Namespace, settings: Any) -> int:
    import numpy as np

    from signals.pipeline import classify_texts, load_models

    embedder, classifier = load_models(settings.signals)
    out = sys.stdout
    for texts in _chunks(sys.stdin.buffer, settings.signals.max_stdin_line_chars):
        vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
        filled = [i for i, t in enumerate(texts) if t]
        if filled:
            vectors[filled] = embedder.encode([texts[i] for i in filled])
        results = classify_texts(texts, vectors, classifier, encode=embedder.encode)
        probabilities = classifier.probabilities(vectors, texts)
        for text, result, row in zip(texts, results, probabilities, strict=True):
            if not text:
                result = _empty(result)
            if args.json:
                line = with_scores(result.as_json(), classifier.labels, row if text else None)
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
            else:
                out.write(f"{result.signal_type}\t{result.confidence:.2f}\t{text}\n")
        out.flush()
    return 0


def with_scores(line: dict[str, Any], labels: Sequence[str], probabilities: Any) -> dict[str, Any]:
    """The passage's JSON with ``scores`` (the most probable labels, best first) and, when
    the runner-up came close to the emitted label, ``explanation.runner_up``."""
    if probabilities is None:  # an empty line: certainly nothing
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
    from signals.pipeline import ClassifyStats, classify_pending

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

        with progress:
            task = progress.add_task("classify", total=total, signals=0)

            def advance(stats: ClassifyStats) -> None:
                progress.update(task, completed=stats.documents, signals=stats.signals)

            try:
                stats = await classify_pending(
                    store.signals,
                    settings.signals,
                    max_documents=args.max_documents,
                    progress=advance,
                )
            except BaseException:
                await store.runs.finish(run_id, "failed", {})
                raise
        summary = stats.as_json()
        await store.runs.finish(run_id, "ok", summary)
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(stats.by_type.items())) or "none"
        print(
            f"classified {stats.documents} document(s), {stats.passages} passage(s) "
            f"({stats.boilerplate} boilerplate), {stats.signals} signal(s) [{kinds}]; "
            f"embedded {stats.embedded}, reused {stats.reused} cached; {stats.seconds:.1f}s"
        )
    return 0
