"""`classify --stdin` is bounded per line and per model call.

3 MB of random bytes used to take 195 s and 1.16 GB: every one of its ~12,000 "lines" went to
the model and then to the nearest-example search, and a line without a newline was read whole.
Now a line is read up to its cap (the rest is dropped as it streams past), a model call takes
a bounded number of lines and characters, and lines too short or too far from language to be a
signal are answered "none" without the model (BENCHMARKS.md has the before/after figures).
"""

from __future__ import annotations

import io
import json
import random
import sys
from collections.abc import Sequence

import numpy as np
import pytest

from scripts.commands.classify import STDIN_CHUNK, STDIN_CHUNK_CHARS, _chunks, _lines
from signals.embed import SentenceTransformerEmbedder
from signals.taxonomy import NONE


class _Endless(io.RawIOBase):
    """A stream of ``size`` bytes without a newline, made as it is read (never held whole)."""

    def __init__(self, size: int, tail: bytes):
        self.left = size
        self.tail = tail
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        self.largest_read = max(self.largest_read, len(buffer))
        if self.left > 0:
            n = min(len(buffer), self.left)
            buffer[:n] = b"x" * n
            self.left -= n
            return n
        n = min(len(buffer), len(self.tail))
        buffer[:n], self.tail = self.tail[:n], self.tail[n:]
        return n


def test_a_line_is_read_up_to_its_cap_and_the_rest_dropped_as_it_streams() -> None:
    stream = io.BufferedReader(_Endless(50_000_000, b"\nsecond line\n"), buffer_size=65536)
    lines = list(_lines(stream, 8002))
    assert [len(line) for line in lines] == [8002, len(b"second line\n")]
    assert lines[1] == b"second line\n"


def test_model_calls_are_bounded_in_lines_and_characters() -> None:
    long_lines = b"".join(b"word " * 400 + b"\n" for _ in range(100))  # 2,000 characters each
    short_lines = b"a short line\n" * 1000
    for data in (long_lines, short_lines):
        chunks = list(_chunks(io.BytesIO(data), 2000))
        assert sum(len(c) for c in chunks) == data.count(b"\n")
        for chunk in chunks:
            assert len(chunk) <= STDIN_CHUNK
            assert sum(len(text) for text in chunk) <= STDIN_CHUNK_CHARS + 2000


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: bytes) -> list[dict]:
    from scripts.cli import main

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["classify", "--stdin", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_random_bytes_do_not_reach_the_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    encoded: list[str] = []
    real_encode = SentenceTransformerEmbedder.encode

    def counting_encode(self: SentenceTransformerEmbedder, texts: Sequence[str]) -> np.ndarray:
        encoded.extend(texts)
        return real_encode(self, texts)

    monkeypatch.setattr(SentenceTransformerEmbedder, "encode", counting_encode)
    noise = random.Random(20).randbytes(300_000)
    sentence = b"Contoso is hiring a cloud security engineer to run its Azure Sentinel rollout."
    rows = _run(monkeypatch, capsys, noise + b"\n" + sentence + b"\n")

    assert len(rows) == noise.count(b"\n") + 2
    assert all(row["signal_type"] == NONE for row in rows[:-1])
    assert rows[-1]["text"] == sentence.decode() and rows[-1]["signal_type"] != NONE
    # the sentence (and its explanation's phrases) reach the model, not ~1,200 lines of noise
    assert sentence.decode() in encoded
    assert len(encoded) < 50, len(encoded)
