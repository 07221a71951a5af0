"""The command line contract of SPEC §10: every subcommand exists and answers --help, and\nevery error ends a command with one line and the exit code of its family."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from common.vocabulary import REPORT_NAMES
from scripts.cli import build_parser, main
from scripts.settings import Settings
from scripts.wiring import reports_dir
from tests.support.web_rows import seed_file

SPEC_COMMANDS = [
    "import",
    "crawl",
    "classify",
    "extract",
    "sources",
    "monthly",
    "export",
    "explain",
    "validate",
    "serve",
    "run",
    "fixture-web",
    "demo",
]


def test_help_lists_every_subcommand() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in SPEC_COMMANDS:
        assert f"    {command} " in out or f"    {command}\n" in out, command


@pytest.mark.parametrize("command", SPEC_COMMANDS)
def test_each_subcommand_has_help(command: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0


def test_global_options_come_before_the_subcommand() -> None:
    args = build_parser().parse_args(["--db", "x.db", "--config", "a.toml", "import", "fit", "f.csv"])
    assert (args.db, args.config, args.kind) == ("x.db", "a.toml", "fit")


def test_unknown_subcommand_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["frobnicate"])
    assert exit_info.value.code == 2


# --- Errors end a command in one place: exit code and one line, the same on every backend ---


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """A database with two scored months (2026-10, 2026-11) and Contoso among its customers."""
    return seed_file(tmp_path / "seeded.db")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    """(exit code, standard error's lines, standard output) of ``ascent ARGV`` in-process."""
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err.splitlines(), captured.out


@pytest.mark.parametrize(
    ("argv", "code", "line"),
    [
        (["export", "--month", "2026-13", "--report", "all", "--out", "x"], 2, "ascent export: "),
        (["export", "--month", "2026-09", "--report", "azure", "--out", "x"], 3,
         "ascent export: month 2026-09 has not been scored; run `ascent monthly --month 2026-09` first"),
        (["validate", "--month", "2026-09"], 3, "ascent validate: month 2026-09 has not been scored"),
        (["explain", "nowhere.com"], 3, "ascent explain: no customer with domain nowhere.com"),
        (["sources", "nowhere.com"], 3, "ascent sources: no customer with domain nowhere.com"),
        (["explain", "not a domain"], 2, "ascent explain: 'not a domain' "),
        (["monthly", "--month", "May"], 2, "ascent monthly: "),
        (["crawl", "--max-seconds", "0"], 2, "ascent crawl: --max-seconds must be positive"),
        (["serve", "--port", "70000"], 2, "ascent serve: --port 70000 is not a port number"),
        (["extract", "https://contoso.example/"], 2, "ascent extract: reads a saved file, not a URL"),
        (["demo", "--companies", "3"], 2, "ascent demo: --companies must be between 10 and 10000"),
    ],
)
def test_an_error_is_one_line_and_its_family_exit_code(
    seeded: Path, argv: list[str], code: int, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    got, err, _ = run(["--db", str(seeded), *argv], capsys)
    assert (got, len(err)) == (code, 1), err
    assert err[0].startswith(line), err


def test_a_missing_database_is_not_found_and_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.db"
    got, err, _ = run(["--db", str(missing), "export", "--month", "2026-11", "--report", "all", "--out", "x"], capsys)
    assert (got, err) == (3, [
        f"ascent: no database at {missing} (import customers or run `ascent demo` first, or pass --db)"
    ])
    assert not missing.exists()


def test_a_rejected_csv_lists_its_problems_then_one_summary_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "customers.csv"
    bad.write_text("CustomerID,AccountName,Domain\nC1,Contoso,not a domain\n", encoding="utf-8")
    got, err, _ = run(["--db", str(tmp_path / "a.db"), "import", "customers", str(bad)], capsys)
    assert got == 2
    assert err[-1] == f"ascent import: {len(err) - 1} problem(s) in {bad}; nothing imported"
    assert all(line.startswith(f"{bad}:") for line in err[:-1]), err


def test_export_writes_every_report_through_the_one_export_path(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    got, err, printed = run(
        ["--db", str(seeded), "export", "--month", "2026-11", "--report", "all", "--out", str(out), "--bom"], capsys
    )
    assert (got, err) == (0, [])
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}-2026-11.csv" for name in REPORT_NAMES)
    assert (out / "azure-2026-11.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(printed.splitlines()) == len(REPORT_NAMES)


# --- The database is a URL: the same --db (or ASCENT_DB) reaches PostgreSQL ---


@pytest.mark.postgres
def test_read_commands_read_the_postgresql_database_they_are_given(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_file(pg_url)  # type: ignore[arg-type]  # seed() takes a path or a URL
    monkeypatch.chdir(tmp_path)  # no SQLite file anywhere near: ./ascent.db must stay absent
    got, err, printed = run(["--db", pg_url, "validate", "--month", "2026-11", "--json"], capsys)
    assert (got, err) == (0, [])
    assert json.loads(printed)["month"] == "2026-11"

    monkeypatch.setenv("ASCENT_DB", pg_url)
    out = tmp_path / "reports"
    got, err, _ = run(["export", "--month", "2026-11", "--report", "azure", "--out", str(out)], capsys)
    assert (got, err) == (0, [])
    assert "Contoso Ltd" in (out / "azure-2026-11.csv").read_text(encoding="utf-8")
    got, err, _ = run(["export", "--month", "2026-09", "--report", "azure", "--out", str(out)], capsys)
    assert got == 3 and err[0].startswith("ascent export: month 2026-09 has not been scored"), err
    assert not (tmp_path / "ascent.db").exists()


def test_the_daemon_s_reports_go_beside_a_database_file_and_under_the_working_folder_for_a_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert reports_dir(settings, str(tmp_path / "data" / "ascent.db")) == tmp_path / "data" / "reports"
    assert reports_dir(settings, "postgresql://ascent@db.example/ascent") == tmp_path / "reports"
    absolute = dataclasses.replace(settings, reports=dataclasses.replace(settings.reports, folder="/srv/r"))
    assert reports_dir(absolute, "postgresql://ascent@db.example/ascent") == Path("/srv/r")
