"""The one typed settings object: TOML file, then ``ASCENT_SECTION__KEY`` environment variables.

Each package owns the dataclass of its own section; this module composes them, loads and
validates values, and renders the field reference in ``docs/SETTINGS.md``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import InputError
from crawler.settings import CrawlerSettings
from intent.hub_settings import ReportHubSettings
from intent.settings import IntentSettings
from scripts.settings_checks import allowed_text, value_problem
from scripts.web.settings import WebSettings
from signals.settings import SignalSettings
from storage.settings import StorageSettings

ENV_PREFIX = "ASCENT_"
log = logging.getLogger("ascent.settings")


class SettingsError(InputError):
    """A settings file or environment variable is malformed; the message says where."""


@dataclass(frozen=True)
class DaemonSettings:
    health_host: str = field(
        default="127.0.0.1", metadata={"doc": "Address the daemon's /healthz and /metrics listen on."}
    )
    health_port: int = field(
        default=8077,
        metadata={"min": 0, "max": 65_535, "doc": "Port of /healthz and /metrics; 0 disables the endpoint."},
    )
    crawl_interval_s: float = field(
        default=60.0,
        metadata={"gt": 0, "max": 604_800, "doc": "Seconds between crawl passes over due sources."},
    )
    crawl_max_seconds: float = field(
        default=600.0,
        metadata={
            "gt": 0,
            "max": 86_400,
            "doc": "Longest a single scheduled crawl pass may run, in seconds.",
        },
    )
    classify_interval_s: float = field(
        default=60.0,
        metadata={
            "gt": 0,
            "max": 604_800,
            "doc": "Seconds between classification passes over new documents.",
        },
    )
    classify_batch_documents: int = field(
        default=200,
        metadata={
            "min": 1,
            "max": 100_000,
            "doc": "Documents one classification batch takes; memory is released between batches.",
        },
    )
    classify_backlog_limit: int = field(
        default=5000,
        metadata={
            "min": 0,
            "max": 1_000_000_000,
            "doc": "Unclassified documents at which the crawl pauses until classification catches up"
            " (0: never pause).",
        },
    )
    shutdown_grace_s: float = field(
        default=20.0,
        metadata={
            "min": 0,
            "max": 3_600,
            "doc": "On SIGTERM, seconds in-flight work may take before it is released.",
        },
    )
    reports_dir: str = field(
        default="",
        metadata={
            "doc": "Deprecated: the old name of `[reports] folder`, still read (with a warning) when"
            " `[reports] folder` is not set."
        },
    )


@dataclass(frozen=True)
class Settings:
    crawler: CrawlerSettings = field(
        default_factory=CrawlerSettings, metadata={"doc": "Fetching and politeness."}
    )
    signals: SignalSettings = field(
        default_factory=SignalSettings, metadata={"doc": "Extraction and classification."}
    )
    intent: IntentSettings = field(
        default_factory=IntentSettings, metadata={"doc": "Scoring, matrix and reports."}
    )
    storage: StorageSettings = field(
        default_factory=StorageSettings, metadata={"doc": "Database connections."}
    )
    daemon: DaemonSettings = field(
        default_factory=DaemonSettings, metadata={"doc": "The `ascent run` daemon."}
    )
    web: WebSettings = field(
        default_factory=WebSettings, metadata={"doc": "The analyst web UI (`ascent serve`)."}
    )
    reports: ReportHubSettings = field(
        default_factory=ReportHubSettings, metadata={"doc": "The downloads hub (`ascent report`)."}
    )


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Defaults, overridden by the TOML file, overridden by ASCENT_SECTION__KEY variables.

    Every value is checked against its field's declared range before anything uses it; a
    problem raises SettingsError naming the file key (``FILE: [crawler] concurrency: ...``) or
    the environment variable (``ASCENT_CRAWLER__CONCURRENCY: ...``).
    """
    raw: dict[str, Any] = {}
    origin = "defaults"
    if path is not None:
        origin = str(path)
        raw = _read_file(Path(path))
    labels: dict[tuple[str, str], str] = {}
    for name, value in sorted((os.environ if env is None else env).items()):
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        _check_env_name(name, section, key)
        if not isinstance(raw.setdefault(section, {}), dict):
            raise SettingsError(f"{name}: [{section}] is not a section")
        raw[section][key] = _parse_env_value(value)
        labels[(section, key)] = name
    return _build_settings(raw, origin, labels)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read settings file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: not valid UTF-8 (byte {exc.start}); save the file as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc


def _check_env_name(name: str, section: str, key: str) -> None:
    sections = {f.name: f for f in dataclasses.fields(Settings)}
    if section not in sections:
        raise SettingsError(f"{name}: no settings section [{section}]; known: {', '.join(sorted(sections))}")
    keys = {f.name for f in dataclasses.fields(typing.get_type_hints(Settings)[section])}
    if key not in keys:
        raise SettingsError(f"{name}: no setting {key!r} in [{section}]; known: {', '.join(sorted(keys))}")


def _parse_env_value(value: str) -> Any:
    """Read an environment value as a TOML literal when it is one, else as a string."""
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def _build_settings(raw: Mapping[str, Any], origin: str, labels: Mapping[tuple[str, str], str]) -> Settings:
    unknown = sorted(set(raw) - {f.name for f in dataclasses.fields(Settings)})
    if unknown:
        known = ", ".join(f.name for f in dataclasses.fields(Settings))
        raise SettingsError(f"{origin}: unknown setting(s) {', '.join(unknown)} in top level; known: {known}")
    hints = typing.get_type_hints(Settings)
    sections: dict[str, Any] = {}
    for name, value in raw.items():

        def label(key: str, section: str = name) -> str:
            return labels.get((section, key)) or f"{origin}: [{section}] {key}"

        sections[name] = _build_section(hints[name], value, origin, name, label)
    settings = _fold_reports_dir(Settings(**sections), raw, origin, labels)
    _check_matrix(settings.intent, origin, labels)
    return settings


def _fold_reports_dir(
    settings: Settings, raw: Mapping[str, Any], origin: str, labels: Mapping[tuple[str, str], str]
) -> Settings:
    """``[daemon] reports_dir`` is the old name of ``[reports] folder`` (the monthly export and
    the downloads hub share one folder): still honoured, with a warning, unless the new name
    is set too."""
    old = settings.daemon.reports_dir
    if not old:
        return settings
    where = labels.get(("daemon", "reports_dir")) or f"{origin}: [daemon] reports_dir"
    reports = raw.get("reports")
    if isinstance(reports, Mapping) and "folder" in reports:
        log.warning("%s is deprecated and ignored: [reports] folder is set", where)
        return settings
    log.warning("%s is deprecated: name the folder in [reports] folder instead", where)
    return dataclasses.replace(settings, reports=dataclasses.replace(settings.reports, folder=old))


def _check_matrix(intent: IntentSettings, origin: str, labels: Mapping[tuple[str, str], str]) -> None:
    """Band edges, cells and clusters must form the 4x4 matrix: checked with the rest, up front."""
    from intent.matrix import Matrix, MatrixError

    try:
        Matrix.from_settings(intent)
    except MatrixError as exc:
        keys = ("band_edges", "cells", "clusters")
        where = next((labels[("intent", k)] for k in keys if ("intent", k) in labels), f"{origin}: [intent]")
        raise SettingsError(f"{where}: {exc}") from exc


def _build_section(cls: type, raw: Any, origin: str, section: str, label: Callable[[str], str]) -> Any:
    if not isinstance(raw, Mapping):
        raise SettingsError(f"{origin}: [{section}] must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        names = ", ".join(sorted(known))
        raise SettingsError(f"{origin}: unknown setting(s) {', '.join(unknown)} in {section}; known: {names}")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        values[name] = _coerce(value, hints[name], label(name))
        problem = value_problem(values[name], known[name].metadata)
        if problem:
            raise SettingsError(f"{label(name)}: {problem}")
    built = cls(**values)
    _check_order(built, known.values(), label)
    return built


def _check_order(section: Any, items: Iterable[dataclasses.Field[Any]], label: Callable[[str], str]) -> None:
    """A field declaring ``"max_field"`` may not exceed that field (a base above its maximum)."""
    for item in items:
        upper = item.metadata.get("max_field")
        if upper and getattr(section, item.name) > getattr(section, upper):
            raise SettingsError(
                f"{label(item.name)}: must be <= {upper} ({getattr(section, upper)}), "
                f"got {getattr(section, item.name)}"
            )


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where)
            except SettingsError:
                continue
        raise SettingsError(f"{where}: {value!r} is not a valid {hint}")
    if origin is list:
        if not isinstance(value, list):
            raise SettingsError(f"{where}: expected a list, got {value!r}")
        return [_coerce(v, args[0], where) for v in value] if args else list(value)
    if origin is dict:
        if not isinstance(value, dict):
            raise SettingsError(f"{where}: expected a table, got {value!r}")
        key_type, value_type = args if args else (str, Any)
        return {_coerce(k, key_type, where): _coerce(v, value_type, where) for k, v in value.items()}
    if hint is Any:
        return value
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no"}:
            return value.lower() in {"true", "1", "yes"}
        raise SettingsError(f"{where}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise SettingsError(f"{where}: expected a string, got {value!r}")
        return value
    return value


def settings_hash(settings: Settings) -> str:
    """A stable fingerprint of every setting, recorded by runs."""
    import hashlib
    import json

    text = json.dumps(dataclasses.asdict(settings), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def settings_reference() -> str:
    """Markdown reference of every section and field (docs/SETTINGS.md is this text)."""
    lines = [
        "# Settings",
        "",
        "Every command takes `--config FILE` (TOML). Each key can also be set with an environment",
        "variable `ASCENT_<SECTION>__<KEY>` (value parsed as a TOML literal, e.g.",
        "`ASCENT_CRAWLER__CONCURRENCY=16`), which wins over the file.",
        "Every value is checked when the settings load, before any command runs: a value outside",
        "its allowed range (below) stops the command with one line naming the file key or the",
        "variable, and exit code 2. Floats must be finite (no nan or inf); for a list or table",
        "the rule applies to every item.",
        "This file is generated by `ascent settings --markdown`; a test keeps it in step.",
        "",
    ]
    hints = typing.get_type_hints(Settings)
    for section in dataclasses.fields(Settings):
        cls = hints[section.name]
        lines += [f"## [{section.name}]", "", section.metadata.get("doc", ""), ""]
        lines += ["| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
        section_hints = typing.get_type_hints(cls)
        defaults = cls()
        for item in dataclasses.fields(cls):
            default = getattr(defaults, item.name)
            type_name = getattr(section_hints[item.name], "__name__", str(section_hints[item.name]))
            doc = item.metadata.get("doc", "")
            shown = _toml_literal(default)
            allowed = allowed_text(item.metadata) or "any"
            lines.append(f"| `{item.name}` | {type_name} | `{shown}` | {allowed} | {doc} |")
        lines.append("")
    return "\n".join(lines)


def _toml_literal(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))} = {_toml_literal(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_literal(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def to_toml(settings: Settings) -> str:
    """The settings as a TOML file that ``load_settings`` reads back to the same object."""
    lines: list[str] = []
    for section in dataclasses.fields(Settings):
        values = dataclasses.asdict(getattr(settings, section.name))
        tables = {k: v for k, v in values.items() if isinstance(v, dict)}
        lines.append(f"[{section.name}]")
        lines += [f"{key} = {_toml_literal(value)}" for key, value in values.items() if key not in tables]
        for key, table in tables.items():
            lines += ["", f"[{section.name}.{key}]"]
            lines += [f"{_toml_literal(str(k))} = {_toml_literal(v)}" for k, v in table.items()]
        lines.append("")
    return "\n".join(lines)
