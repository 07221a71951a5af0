"""The one export path: a scored month's reports as rows (for any renderer) and as CSV files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from common.vocabulary import REPORT_NAMES
from intent.reports import columns
from intent.settings import IntentSettings
from scripts.exports import MonthNotScored, chosen_reports, export_month, report_tables, scored_month
from storage.store import open_store
from tests.support.web_rows import seed


async def test_the_rows_a_renderer_gets_are_the_rows_of_the_csv_files(tmp_path: Path) -> None:
    db = tmp_path / "seeded.db"
    await seed(db)
    settings = IntentSettings()
    async with await open_store(db) as store:
        tables = list(report_tables(await scored_month(store, "2026-11", settings), REPORT_NAMES, settings))
        written = await export_month(store, "2026-11", REPORT_NAMES, tmp_path / "out", settings, bom=False)
        runs = await store.runs.latest("export")
    assert [t.report for t in tables] == list(REPORT_NAMES)
    for table, (path, rows) in zip(tables, written, strict=True):
        assert table.header == columns(table.report) and len(table.rows) == rows
        lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert lines[0] == table.header and len(lines) == rows + 1
    assert written[0][1] > 0  # azure: every seeded customer
    assert runs is not None and runs.key == "2026-11"  # the export is in the run log


async def test_a_month_without_scores_has_no_reports_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "seeded.db"
    await seed(db)
    async with await open_store(db) as store:
        with pytest.raises(MonthNotScored, match="month 2026-09 has not been scored"):
            await export_month(store, "2026-09", ["azure"], tmp_path / "out", IntentSettings())
    assert not (tmp_path / "out").exists()


def test_report_choices_are_one_name_or_all() -> None:
    assert chosen_reports("all") == list(REPORT_NAMES)
    assert chosen_reports("m365") == ["m365"]
    with pytest.raises(ValueError, match="no report 'xlsx'"):
        chosen_reports("xlsx")
