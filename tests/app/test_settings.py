"""Settings: TOML file, environment overrides, clear errors, and docs kept honest."""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

import pytest

from scripts.settings import Settings, SettingsError, load_settings, settings_reference

REPO = Path(__file__).resolve().parents[2]


def test_defaults_without_file() -> None:
    settings = load_settings(None, env={})
    assert settings.crawler.concurrency == 64
    assert settings.crawler.allow_private_addresses is False


def test_spec_example_file_loads(tmp_path: Path) -> None:
    config = tmp_path / "ascent.toml"
    config.write_text(
        """
[crawler]
user_agent = "ascent/0.1 (+https://example.org/bot)"
resolve = { "contoso.com" = "127.0.0.1:8081", "www.contoso.com" = "127.0.0.1:8081" }
allow_private_addresses = false
nameservers = ["127.0.0.1:5353"]
concurrency = 64
per_host_concurrency = 2
per_host_delay = 1.0
""",
        encoding="utf-8",
    )
    settings = load_settings(config, env={})
    assert settings.crawler.resolve["www.contoso.com"] == "127.0.0.1:8081"
    assert settings.crawler.nameservers == ["127.0.0.1:5353"]


def test_environment_wins_over_file(tmp_path: Path) -> None:
    config = tmp_path / "ascent.toml"
    config.write_text("[crawler]\nconcurrency = 8\n", encoding="utf-8")
    env = {
        "ASCENT_CRAWLER__CONCURRENCY": "16",
        "ASCENT_CRAWLER__ALLOW_PRIVATE_ADDRESSES": "true",
        "ASCENT_CRAWLER__USER_AGENT": "probe/1.0",
        "ASCENT_CRAWLER__PER_HOST_DELAY": "2",
    }
    settings = load_settings(config, env=env)
    assert settings.crawler.concurrency == 16
    assert settings.crawler.allow_private_addresses is True
    assert settings.crawler.user_agent == "probe/1.0"
    assert settings.crawler.per_host_delay == 2.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[crawler]\nconcurency = 3\n", "unknown setting(s) concurency"),
        ("[crawler]\nconcurrency = 'many'\n", "[crawler] concurrency: expected an integer"),
        ("[nosuch]\nx = 1\n", "unknown setting(s) nosuch"),
        ("[crawler\n", "ascent.toml"),
    ],
)
def test_bad_settings_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "ascent.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(config, env={})


def test_missing_file_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "absent.toml", env={})


def test_every_field_is_documented() -> None:
    hints = typing.get_type_hints(Settings)
    for section in dataclasses.fields(Settings):
        assert section.metadata.get("doc"), f"[{section.name}] has no doc"
        for item in dataclasses.fields(hints[section.name]):
            assert item.metadata.get("doc"), f"{section.name}.{item.name} has no doc"


def test_settings_reference_is_in_step_with_the_code() -> None:
    documented = (REPO / "docs" / "SETTINGS.md").read_text(encoding="utf-8")
    assert documented.strip() == settings_reference().strip(), (
        "docs/SETTINGS.md is stale: regenerate it with `ascent settings --markdown > docs/SETTINGS.md`"
    )


def test_written_settings_read_back_identically(tmp_path: Path) -> None:
    from scripts.settings import to_toml

    env = {"ASCENT_CRAWLER__RESOLVE": '{ "a.com" = "127.0.0.1:1", "www.a.com" = "127.0.0.1:1" }'}
    settings = load_settings(None, env=env)
    path = tmp_path / "written.toml"
    path.write_text(to_toml(settings), encoding="utf-8")
    assert load_settings(path, env={}) == settings


def test_daemon_reports_dir_is_a_deprecated_alias_of_the_reports_folder(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert load_settings(None, env={}).reports.folder == "reports"
    old = tmp_path / "old.toml"
    old.write_text('[daemon]\nreports_dir = "/srv/old"\n', encoding="utf-8")
    with caplog.at_level("WARNING", logger="ascent.settings"):
        assert load_settings(old, env={}).reports.folder == "/srv/old"
        env = {"ASCENT_DAEMON__REPORTS_DIR": "/srv/env"}
        assert load_settings(None, env=env).reports.folder == "/srv/env"
        both = tmp_path / "both.toml"
        both.write_text('[daemon]\nreports_dir = "/srv/old"\n[reports]\nfolder = "/srv/new"\n', encoding="utf-8")
        assert load_settings(both, env={}).reports.folder == "/srv/new"
    warned = [r.getMessage() for r in caplog.records]
    assert warned == [
        f"{old}: [daemon] reports_dir is deprecated: name the folder in [reports] folder instead",
        "ASCENT_DAEMON__REPORTS_DIR is deprecated: name the folder in [reports] folder instead",
        f"{both}: [daemon] reports_dir is deprecated and ignored: [reports] folder is set",
    ]
