"""Settings are checked at load: every documented field refuses values outside its range.

Issue #20 finding 1: a bad setting used to hang (storage.readers = 0) or silently break the
crawl (fetch_deadline_s = -3 or nan, a user_agent with CR/LF, max_body_bytes = -1,
concurrency = 0) and `ascent settings` printed NaN. Each is now one line naming the file key
or the environment variable, exit 2, before the command does anything.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

from scripts.settings import Settings, SettingsError, load_settings
from scripts.settings_checks import declares_range
from signals.classify import HEAD_METHOD, METHODS, RESCUED_METHOD
from signals.settings import CLASSIFIERS

REPO = Path(__file__).resolve().parents[2]
_ROW = re.compile(r"^\| `(?P<key>[a-z_0-9]+)` \| (?P<type>[^|]+) \|")


def documented_fields() -> list[tuple[str, str, str]]:
    """(section, key, type name) of every row of docs/SETTINGS.md."""
    found: list[tuple[str, str, str]] = []
    section = ""
    for line in (REPO / "docs" / "SETTINGS.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## ["):
            section = line[4:].rstrip("]")
        elif match := _ROW.match(line):
            found.append((section, match["key"], match["type"].strip()))
    return found


def field_of(section: str, key: str) -> dataclasses.Field[Any]:
    cls = typing.get_type_hints(Settings)[section]
    return next(f for f in dataclasses.fields(cls) if f.name == key)


def element_type(section: str, key: str) -> Any:
    """The field's type, or the type of its items or values for a list or table."""
    cls = typing.get_type_hints(Settings)[section]
    hint = typing.get_type_hints(cls)[key]
    args = typing.get_args(hint)
    return args[-1] if typing.get_origin(hint) in (list, dict) else hint


def bad_literals(section: str, key: str, kind: str) -> list[str]:
    """TOML literals that must be refused for this field."""
    meta = field_of(section, key).metadata
    element = element_type(section, key)
    key_name = meta.get("keys", ("k",))[0]  # a table with fixed keys: a known key, a bad value
    wrap = {"list": lambda v: f"[{v}]", "dict": lambda v: f'{{ "{key_name}" = {v} }}'}.get(kind, lambda v: v)
    wrong_type = {"list": '"x"', "dict": "5"}.get(kind, "[1]")
    bad = [wrong_type]
    if element is float:
        bad += [wrap("nan"), wrap("inf"), wrap("-inf"), wrap('"fast"')]
    if element is int:
        bad += [wrap('"many"'), wrap("1.5")]
    if element in (int, float):
        if "gt" in meta:
            bad.append(wrap(repr(meta["gt"])))
        if "min" in meta:
            bad.append(wrap(repr(meta["min"] - 1)))
        if "max" in meta:
            bad.append(wrap(repr(meta["max"] * 2 + 1)))
    if element is bool:
        bad.append('"maybe"')
    if element is str:
        bad.append(wrap("42"))
        if "choices" in meta:
            bad.append(wrap('"no-such-choice"'))
        if meta.get("header_safe"):
            bad.append(wrap('"probe\\r\\nX-Injected: 1"'))
    return bad


FIELDS = documented_fields()


def test_docs_list_every_section() -> None:
    sections = {section for section, _, _ in FIELDS}
    assert sections == {f.name for f in dataclasses.fields(Settings)}


@pytest.mark.parametrize(("section", "key", "kind"), FIELDS, ids=[f"{s}.{k}" for s, k, _ in FIELDS])
def test_every_numeric_field_declares_its_range(section: str, key: str, kind: str) -> None:
    if element_type(section, key) in (int, float):
        assert declares_range(field_of(section, key).metadata), (
            f"[{section}] {key} is numeric but declares no min/max/gt/choices in its metadata"
        )


@pytest.mark.parametrize(("section", "key", "kind"), FIELDS, ids=[f"{s}.{k}" for s, k, _ in FIELDS])
def test_every_field_refuses_bad_values_in_the_file(
    section: str, key: str, kind: str, tmp_path: Path
) -> None:
    config = tmp_path / "bad.toml"
    for literal in bad_literals(section, key, kind):
        config.write_text(f"[{section}]\n{key} = {literal}\n", encoding="utf-8")
        with pytest.raises(SettingsError) as caught:
            load_settings(config, env={})
        assert str(caught.value).startswith(f"{config}: [{section}] {key}: "), literal
        assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("section", "key", "kind"), FIELDS, ids=[f"{s}.{k}" for s, k, _ in FIELDS])
def test_every_field_refuses_bad_values_from_the_environment(section: str, key: str, kind: str) -> None:
    variable = f"ASCENT_{section.upper()}__{key.upper()}"
    for literal in bad_literals(section, key, kind):
        with pytest.raises(SettingsError, match=f"^{variable}: "):
            load_settings(None, env={variable: literal})


def test_defaults_are_within_their_ranges() -> None:
    assert load_settings(None, env={}) == Settings()


def test_ranges_admit_their_own_bounds(tmp_path: Path) -> None:
    config = tmp_path / "edges.toml"
    config.write_text("[storage]\nreaders = 1\n[crawler]\nconcurrency = 10000\nnear_duplicate_bits = -1\n")
    settings = load_settings(config, env={})
    assert (settings.storage.readers, settings.crawler.concurrency) == (1, 10_000)


def test_a_base_above_its_maximum_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"^ASCENT_CRAWLER__REVISIT_MIN_S: must be <= revisit_max_s"):
        load_settings(None, env={"ASCENT_CRAWLER__REVISIT_MIN_S": "2e6"})


def test_a_table_value_names_its_key() -> None:
    with pytest.raises(SettingsError, match=r"^ASCENT_INTENT__PRICES: Copilot: must be a finite number"):
        load_settings(None, env={"ASCENT_INTENT__PRICES": '{ "Copilot" = nan }'})


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("[75.0, 55.0, 30.0]", "band_edges must be three increasing"),
        ("[30.0, 55.0]", "band_edges must be three"),
    ],
)
def test_band_edges_must_form_the_matrix(literal: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"^ASCENT_INTENT__BAND_EDGES: {message}"):
        load_settings(None, env={"ASCENT_INTENT__BAND_EDGES": literal})


def test_a_cell_map_that_is_not_the_matrix_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "ascent.toml"
    config.write_text('[intent.cells]\nA1 = ["Low", "Low"]\n', encoding="utf-8")
    with pytest.raises(
        SettingsError, match=r"ascent.toml: \[intent\]: the matrix needs all 16 band pairs, got 1"
    ):
        load_settings(config, env={})


def test_classifier_choices_are_the_implemented_methods() -> None:
    assert set(CLASSIFIERS) == {*METHODS, HEAD_METHOD, RESCUED_METHOD}


def test_environment_garbage_names_the_variable() -> None:
    with pytest.raises(SettingsError, match=r"^ASCENT_CRAWLER__CONCURRENCY: expected an integer, got 'lots'"):
        load_settings(None, env={"ASCENT_CRAWLER__CONCURRENCY": "lots"})
    with pytest.raises(SettingsError, match=r"^ASCENT_CRAWLER__CONCURENCY: no setting 'concurency'"):
        load_settings(None, env={"ASCENT_CRAWLER__CONCURENCY": "4"})
    with pytest.raises(SettingsError, match=r"^ASCENT_CRAWLR__CONCURRENCY: no settings section \[crawlr\]"):
        load_settings(None, env={"ASCENT_CRAWLR__CONCURRENCY": "4"})


# --- the reported cases, through the real command line -------------------------------------


def ascent(tmp_path: Path, *args: str, env: dict[str, str] | None = None, config: str | bytes | None = None):
    """Run `ascent` in a subprocess; a hang (the old readers = 0) fails the test by timeout."""
    command = [sys.executable, "-m", "scripts.cli", "--db", str(tmp_path / "ascent.db")]
    if config is not None:
        path = tmp_path / "ascent.toml"
        path.write_bytes(config if isinstance(config, bytes) else config.encode())
        command += ["--config", str(path)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASCENT_")}
    return subprocess.run(
        [*command, *args], env={**clean, **(env or {})}, cwd=REPO, capture_output=True, timeout=60
    )


def one_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    return lines[0]


REPORTED = [
    (["sources", "contoso.com"], "[storage]\nreaders = 0\n", "[storage] readers: must be >= 1, got 0"),
    (["sources", "contoso.com"], "[storage]\nreaders = -1\n", "[storage] readers: must be >= 1, got -1"),
    (["crawl", "--once"], "[crawler]\nfetch_deadline_s = -3\n", "fetch_deadline_s: must be > 0, got -3.0"),
    (["crawl", "--once"], "[crawler]\nfetch_deadline_s = nan\n", "fetch_deadline_s: must be a finite number"),
    (["crawl", "--once"], '[crawler]\nuser_agent = "a\\r\\nX-Evil: 1"\n', "user_agent: must be printable"),
    (["crawl", "--once"], "[crawler]\nmax_body_bytes = -1\n", "max_body_bytes: must be >= 1, got -1"),
    (["crawl", "--once"], "[crawler]\nconcurrency = 0\n", "concurrency: must be >= 1, got 0"),
    (["crawl", "--once"], "[crawler]\nconcurrency = -5\n", "concurrency: must be >= 1, got -5"),
    (["settings"], "[crawler]\nper_host_delay = nan\n", "per_host_delay: must be a finite number, got nan"),
    (["extract", "absent.html"], "[crawler]\nconcurrency = 0\n", "concurrency: must be >= 1, got 0"),
    (["monthly", "--month", "2026-11"], "[intent.signal_strength]\nhiring_tec = 2.0\n", "unknown key 'hiring_tec'"),
    (["serve"], "[intent.half_life_days]\nhirng = 90\n", "half_life_days: unknown key 'hirng'"),
]


@pytest.mark.parametrize(("args", "config", "message"), REPORTED, ids=[r[2].split(":")[0] for r in REPORTED])
def test_reported_bad_settings_stop_every_command(
    tmp_path: Path, args: list[str], config: str, message: str
) -> None:
    done = ascent(tmp_path, *args, config=config)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line.startswith(f"ascent: {tmp_path / 'ascent.toml'}: [")
    assert message in line
    assert done.stdout == b""
    assert not (tmp_path / "ascent.db").exists(), "the command ran before its settings were checked"


def test_bad_environment_variable_is_named_on_the_command_line(tmp_path: Path) -> None:
    done = ascent(tmp_path, "sources", "contoso.com", env={"ASCENT_STORAGE__READERS": "0"})
    assert done.returncode == 2
    assert one_line(done.stderr) == "ascent: ASCENT_STORAGE__READERS: must be >= 1, got 0"


def test_non_utf8_user_agent_from_the_environment_is_refused(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environb.items() if not k.startswith(b"ASCENT_")}
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "--db", str(tmp_path / "a.db"), "crawl", "--once"],
        env={**clean, b"ASCENT_CRAWLER__USER_AGENT": b"probe/\xff\xfe"},
        cwd=REPO,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "ASCENT_CRAWLER__USER_AGENT: must be printable ASCII or Latin-1" in one_line(done.stderr)
    assert "non-UTF-8 byte 0xff" in done.stderr.decode()


@pytest.mark.parametrize(
    ("config", "message"),
    [(b'[crawler]\nuser_agent = "probe/\xff"\n', "not valid UTF-8"), (b"[crawler\n", "not valid TOML")],
    ids=["non-utf8", "malformed"],
)
def test_unreadable_settings_file_is_one_line(tmp_path: Path, config: bytes, message: str) -> None:
    done = ascent(tmp_path, "settings", config=config)
    assert done.returncode == 2
    assert message in one_line(done.stderr)
