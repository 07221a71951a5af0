"""The real, third-party labelled text in ../shared/data/signals-dev as classifier inputs.

Read in place, never copied: each row becomes one or more *units* (what ``classify --stdin``
would be given), with the row's labels mapped onto the taxonomy. Vectors are cached on disk
per (model, text hash) under ~/.cache/ascent-dev so reruns embed nothing.

Which sources may be fitted on is decided here, once (see the data set's README):
reuters and agnews are research-use only and google-jobs is the only hiring source, so they
are measured, never fitted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signals.classify import embed_cached
from signals.embed import Embedder
from signals.taxonomy import default_taxonomy

# ``ASCENT_DEV_DATA`` points elsewhere when the checkout is not beside ../shared.
DEV_DIR = Path(
    os.environ.get("ASCENT_DEV_DATA")
    or Path(__file__).resolve().parents[3] / "shared" / "data" / "signals-dev"
)

# Every source, with whether shipped parameters may be fitted on it.
FITTABLE = ("casie", "breach-notices", "prc-breaches", "biotech-news", "fintext", "bbc", "gdpr-fines")
MEASURE_ONLY = ("google-jobs", "reuters", "agnews")
# Weak `none` sources that stand in for pages without events when the event threshold is
# chosen (business and tech news leads: mostly no event of our types).
NEGATIVE_PROXY = ("bbc",)
# casie-sentences and casie-documents are the same articles: one group, never split.
GROUP_OF_FILE = {"casie-sentences": "casie", "casie-documents": "casie"}
# The evaluators read job ads (and any long line) as its first ~300 characters.
HEAD_CHARS = 300
# `classify --stdin` keeps this much of a line (settings: max_stdin_line_chars).
MAX_LINE_CHARS = 2000
# Labels the data set adds beyond the taxonomy: an event whose type we cannot score.
EVENT_ONLY = {"event_untyped", "hiring_any", "hiring_other"}


@dataclass(frozen=True)
class Unit:
    """One classifier input built from a dev-set row."""

    file: str  # the JSONL file's stem
    view: str  # how the row was turned into text: row | lead | head300 | passage
    doc: str  # the original item (units of one doc are max-pooled for document labels)
    text: str
    labels: tuple[str, ...]  # taxonomy ids; () = none
    event: bool  # an event is stated (also true for event types the taxonomy lacks)
    weak: bool

    @property
    def group(self) -> str:
        return GROUP_OF_FILE.get(self.file, self.file)


def available(folder: Path = DEV_DIR) -> bool:
    return (folder / "README.md").exists()


def _rows(path: Path) -> Iterator[dict[str, object]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict) and isinstance(row.get("text"), str):
                yield row


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _labels(raw: object) -> tuple[tuple[str, ...], bool]:
    known = set(default_taxonomy().ids)
    names = [str(x) for x in raw] if isinstance(raw, list) else []
    typed = tuple(sorted({n for n in names if n in known}))
    return typed, bool(typed) or any(n in EVENT_ONLY for n in names)


def _views(file: str, level: str, text: str) -> Iterator[tuple[str, str]]:
    """(view, text) pairs of one row: a sentence or paragraph as itself; a document as its
    title + lead and, for news documents, every paragraph (for a max-over-passages rule);
    a job ad also as its first HEAD_CHARS characters."""
    if level != "document":
        yield "row", _one_line(text)
        return
    lines = [_one_line(line) for line in text.split("\n") if line.strip()]
    if not lines:
        return
    lead = lines[0] if len(lines) == 1 else f"{lines[0].rstrip('.')}. {lines[1]}"
    yield "lead", lead
    if file == "google-jobs":
        yield "head300", _one_line(text)[:HEAD_CHARS]
        yield "full", _one_line(text)[:MAX_LINE_CHARS]
    if file == "biotech-news":
        for line in lines[:40]:
            if len(line) >= 12:
                yield "passage", line


def per_file_limit() -> int:
    """ASCENT_DEV_PER_FILE=N reads an even spread of at most N rows of each file (and no
    per-paragraph nor whole-ad views): a quick run on a busy machine; 0 or unset reads
    everything."""
    try:
        return max(0, int(os.environ.get("ASCENT_DEV_PER_FILE", "0")))
    except ValueError:
        return 0


def _spread(rows: list[dict[str, object]], limit: int) -> list[dict[str, object]]:
    if not limit or len(rows) <= limit:
        return rows
    return [rows[i * len(rows) // limit] for i in range(limit)]


def load_units(folder: Path = DEV_DIR, files: Sequence[str] | None = None) -> list[Unit]:
    units: list[Unit] = []
    limit = per_file_limit()
    for path in sorted(folder.glob("*.jsonl")):
        if files is not None and path.stem not in files:
            continue
        for row in _spread(list(_rows(path)), limit):
            labels, event = _labels(row.get("labels"))
            level = str(row.get("level", "sentence"))
            doc = f"{path.stem}:{row.get('doc', row.get('id', ''))}"
            for view, text in _views(path.stem, level, str(row["text"])):
                if text and not (limit and view in ("passage", "full")):
                    units.append(
                        Unit(path.stem, view, doc, text, labels, event, bool(row.get("weak", False)))
                    )
    return units


def cache_path(embedder: Embedder) -> Path:
    base = os.environ.get("ASCENT_DEV_CACHE") or os.path.expanduser("~/.cache/ascent-dev")
    safe = "".join(c if c.isalnum() else "-" for c in embedder.name)[-60:]
    return Path(base) / f"devset-vectors-{safe}.npz"


def embed_units(units: Sequence[Unit], embedder: Embedder) -> np.ndarray:
    return embed_cached([u.text for u in units], embedder, cache_path(embedder))


if __name__ == "__main__":  # warm the vector cache: python -m scripts.devtools.devset
    import sys
    import time

    from signals.embed import default_embedder

    if not available():
        print("signals-dev data not found; nothing to embed", file=sys.stderr)
        sys.exit(0)
    started = time.perf_counter()
    all_units = load_units()
    vectors = embed_units(all_units, default_embedder())
    print(f"{len(all_units)} units, {vectors.shape} vectors in {time.perf_counter() - started:.0f}s")
