"""Months a user names are checked everywhere (issue #20 finding 4).

`monthly --month 9999-12` used to be accepted; `export` then crashed with ValueError, `validate`
with OverflowError, and 9999-12 became the default month of `explain` and the UI.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from intent.months import EARLIEST_MONTH, MonthError, checked_month, latest_month
from scripts.cli import main as cli
from scripts.web.app import create_app
from scripts.web.params import customer_path
from scripts.web.settings import WebSettings
from tests.support.web_rows import MONTHS, seed_file

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize("month", ["2000-01", "2026-12", "2027-01", "2014-06"])
def test_months_up_to_next_month_are_allowed(month: str) -> None:
    assert checked_month(month, TODAY) == month


@pytest.mark.parametrize("month", ["1999-12", "2027-02", "9999-12", "2026-13", "2026-1", "", "0000-01"])
def test_months_outside_the_range_are_refused(month: str) -> None:
    with pytest.raises(MonthError):
        checked_month(month, TODAY)


def test_next_month_rolls_over_the_year() -> None:
    assert latest_month(date(2026, 12, 31)) == "2027-01"
    assert latest_month(date(2026, 1, 1)) == "2026-02"
    assert EARLIEST_MONTH == "2000-01"


@pytest.mark.parametrize(
    "command",
    [
        ["monthly", "--month", "9999-12"],
        ["export", "--month", "9999-12", "--report", "all", "--out", "reports"],
        ["validate", "--month", "9999-12"],
        ["explain", "contoso.com", "--month", "9999-12"],
        ["monthly", "--month", "1999-12"],
    ],
    ids=["monthly", "export", "validate", "explain", "monthly-too-early"],
)
def test_every_command_refuses_a_month_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    db = tmp_path / "ascent.db"
    assert cli(["--db", str(db), *command]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is outside 2000-01.." in err[0], err
    assert not db.exists(), "the command opened the database before checking its month"


def _add_far_future_month(db: Path) -> None:
    """A 9999-12 scored by a version that did not check months (copies of the latest month)."""
    with sqlite3.connect(db) as conn:
        for table in ("propensity", "customer_month", "intent_scores"):
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            chosen = ", ".join("'9999-12'" if c == "month" else c for c in columns)
            conn.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} FROM {table} WHERE month = ?",
                (MONTHS[-1],),
            )


def test_ui_neither_defaults_to_nor_accepts_a_month_out_of_range(tmp_path: Path) -> None:
    db = seed_file(tmp_path / "ascent.db")
    _add_far_future_month(db)
    with TestClient(create_app(db, web=WebSettings())) as client:
        matrix = client.get("/matrix")
        assert matrix.status_code == 200
        assert "9999-12" not in matrix.text and MONTHS[-1] in matrix.text
        page = client.get(customer_path("C001"))
        assert page.status_code == 200
        assert f'value="{MONTHS[-1]}" selected' in page.text
        refused = client.get("/customers?month=9999-12")
        assert refused.status_code == 400
        assert "outside 2000-01" in refused.text


@pytest.mark.parametrize("command", [["export", "--report", "all", "--out", "reports"], ["validate"]])
def test_a_far_future_month_already_scored_is_refused_not_crashed_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    db = seed_file(tmp_path / "ascent.db")
    _add_far_future_month(db)
    code = cli(["--db", str(db), command[0], "--month", "9999-12", *command[1:]])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "outside 2000-01" in err[0]
