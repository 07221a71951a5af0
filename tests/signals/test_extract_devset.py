"""Extraction quality on a fixed sample of the real-world development set (skipped if absent)."""

from __future__ import annotations

import sys

import pytest

from signals.extract import extract_html
from tests.conftest import REPO, shared_data

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scripts.devtools.bench_extract import Score, load_pages, score_page

SAMPLE_EVERY = 5  # every 5th page: ~200 pages, a few seconds
MIN_F1 = 0.85


@pytest.mark.slow
def test_sample_of_real_pages_reaches_minimum_f1() -> None:
    pages = load_pages(shared_data("extract-trafilatura"))[::SAMPLE_EVERY]
    assert len(pages) > 150
    total = Score()
    for page in pages:
        total.add(score_page(extract_html(page.html, url=page.url).text, page))
    assert total.f1 >= MIN_F1, f"F1 {total.f1:.3f} (P {total.precision:.3f}, R {total.recall:.3f})"
