"""An import's memory is flat in the file's size (issue #20 finding 7: it was ~8-12x the file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.devtools.bench_import import REPO, customers_file, import_once


@pytest.mark.slow
def test_import_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    small, _ = customers_file(tmp_path, 0.0001)
    large, rows = customers_file(tmp_path, 8)
    base, _, small_code, _ = import_once(small, REPO)
    peak, _, large_code, _ = import_once(large, REPO)
    assert (small_code, large_code) == (0, 0)
    # The old importer held every row: ~100 MB above the baseline for this 8 MB file.
    assert peak - base < 25, f"{rows} rows: {peak:.0f} MB peak RSS against {base:.0f} MB for one row"
