"""The vocabulary is defined once (common/vocabulary.py) and everything else agrees with it:
the taxonomy file, the product list, the intent settings, the reports, the web UI and the
fixture web; an unknown signal id or family in the settings stops start-up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from common import vocabulary
from common.vocabulary import (
    AREAS,
    BAND_NAMES,
    CELLS,
    CLUSTER_CELLS,
    CLUSTER_MEANINGS,
    CLUSTERS,
    COHORTS,
    COMPETITOR_TECH,
    FAMILIES,
    FLAGS,
    HIRING_IDS,
    REPORT_NAMES,
    SIGNAL_IDS,
    SIGNALS,
    cluster_of_cell,
    signal_kind,
)
from intent import cohorts, fit, revenue
from intent.matrix import Matrix
from intent.reports import REPORTS
from intent.settings import IntentSettings, half_life_of, prices_of, strength_of
from intent.vocabulary import products
from scripts.fixture_web import content, world
from scripts.fixture_web.truth import signal_areas
from scripts.settings import SettingsError, load_settings
from scripts.web import params, svg
from signals.taxonomy import NONE, default_taxonomy

REPO = Path(__file__).resolve().parents[2]


# --- the vocabulary itself ----------------------------------------------------------------------


def test_signal_ids_are_unique_stable_identifiers() -> None:
    assert len(set(SIGNAL_IDS)) == len(SIGNAL_IDS)
    assert all(re.fullmatch(r"[a-z][a-z_]*", sid) for sid in SIGNAL_IDS)
    assert NONE not in SIGNAL_IDS


def test_every_signal_names_a_known_family_polarity_and_areas() -> None:
    for kind in SIGNALS:
        assert kind.family in FAMILIES, kind.id
        assert kind.polarity in (1, -1), kind.id
        assert set(kind.areas) <= set(AREAS), kind.id
        assert kind.areas or kind.id == COMPETITOR_TECH, kind.id
    assert {kind.family for kind in SIGNALS} == set(FAMILIES)
    assert HIRING_IDS == ("hiring_tech", "hiring_security", "hiring_sales", "hiring_finance")


def test_an_unknown_signal_id_is_a_key_error() -> None:
    assert signal_kind("funding").family == "money"
    with pytest.raises(KeyError):
        signal_kind("hiring_tec")


def test_the_cells_cover_every_band_pair_once_and_every_cluster_cell_exists() -> None:
    assert sorted(CELLS.values()) == sorted((f, i) for f in BAND_NAMES for i in BAND_NAMES)
    assert sorted(cell for cells in CLUSTER_CELLS.values() for cell in cells) == sorted(CELLS)
    assert set(cluster_of_cell()) == set(CELLS)
    assert tuple(CLUSTER_MEANINGS) == CLUSTERS


# --- the taxonomy file --------------------------------------------------------------------------


def test_taxonomy_file_describes_exactly_the_vocabulary() -> None:
    raw = tomllib.loads((resources.files("signals") / "taxonomy.toml").read_text(encoding="utf-8"))
    assert sorted(entry["id"] for entry in raw["signal"]) == sorted(SIGNAL_IDS)


def test_taxonomy_types_carry_the_vocabulary() -> None:
    taxonomy = default_taxonomy()
    assert taxonomy.ids == SIGNAL_IDS and taxonomy.areas == AREAS
    for kind, signal_type in zip(SIGNALS, taxonomy.types, strict=True):
        assert (signal_type.family, signal_type.polarity, signal_type.areas) == (
            kind.family,
            kind.polarity,
            kind.areas,
        )
    competitor_areas = {a for c in taxonomy.competitors for a in c.areas} | set(taxonomy.competitor_default)
    assert competitor_areas <= set(AREAS)


# --- products.toml and the rules that name products ---------------------------------------------


def test_products_named_by_rules_and_prices_are_in_products_toml() -> None:
    known = products()
    named = {
        *cohorts.M365_SKU_ORDER,
        *cohorts.COPILOT_READY_SKUS,
        *cohorts.ON_PREM_ACCOUNTING,
        "Copilot",
        "D365 Business Central",
        "Surface",
        *prices_of(IntentSettings()),
    }
    assert named <= set(known), sorted(named - set(known))
    # The flags that read a product family find products of that family.
    families = {info.family for info in known.values()}
    assert {"Azure", "M365", "D365", "OfficeOnPrem"} <= families


# --- the intent settings ------------------------------------------------------------------------


def test_every_signal_and_family_has_its_default_strength_and_half_life() -> None:
    settings = IntentSettings()
    assert set(strength_of(settings)) == set(SIGNAL_IDS)
    assert set(half_life_of(settings)) == set(FAMILIES)


def test_the_default_matrix_is_the_vocabulary_map() -> None:
    matrix = Matrix.from_settings(IntentSettings())
    assert matrix.clusters == CLUSTERS
    assert matrix.cluster_of == cluster_of_cell()
    assert {bands: cell for bands, cell in matrix.cell_of.items()} == {b: c for c, b in CELLS.items()}


def test_an_unknown_signal_id_in_the_settings_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "ascent.toml"
    config.write_text("[intent.signal_strength]\nfunding = 1.5\nhiring_tec = 2.0\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(config, env={})
    message = str(caught.value)
    assert message.startswith(f"{config}: [intent] signal_strength: unknown key 'hiring_tec'; known: ")
    assert "\n" not in message


def test_an_unknown_family_from_the_environment_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"^ASCENT_INTENT__HALF_LIFE_DAYS: unknown key 'hirng'; known: hiring, "):
        load_settings(None, env={"ASCENT_INTENT__HALF_LIFE_DAYS": '{ "hirng" = 90 }'})


def test_known_ids_in_the_settings_are_taken() -> None:
    settings = load_settings(None, env={"ASCENT_INTENT__SIGNAL_STRENGTH": '{ "funding" = 1.5 }'})
    assert strength_of(settings.intent)["funding"] == 1.5
    assert strength_of(settings.intent)["hiring_tech"] == strength_of(IntentSettings())["hiring_tech"]


def test_an_unknown_signal_id_in_the_environment_stops_the_command(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASCENT_")}
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", "--db", str(tmp_path / "ascent.db"), "monthly", "--month", "2026-11"],
        env={**clean, "ASCENT_INTENT__SIGNAL_STRENGTH": '{ "cloud_migrate" = 1.0 }'},
        cwd=REPO,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "ascent: ASCENT_INTENT__SIGNAL_STRENGTH: unknown key 'cloud_migrate'; known: hiring_tech, "
    )
    assert not (tmp_path / "ascent.db").exists()


# --- flags, cohorts and reports -----------------------------------------------------------------


def test_flags_and_cohorts_come_out_in_vocabulary_order() -> None:
    profile = cohorts.Profile("C1", 400, 0.0, (cohorts.Holding("M365 E3", 10, None, "active"),))
    holdings = cohorts.summarise(profile, date(2026, 11, 30))
    evidence = cohorts.flags(profile, holdings)
    assert tuple(evidence) == FLAGS
    members = cohorts.cohorts(profile, holdings, evidence)
    assert members == [c for c in COHORTS if c in members] and members
    assert set(cohorts.TECHNOLOGY_ALIASES) <= set(FLAGS)
    assert set(fit.TECH_FLAGS) <= set(FLAGS)


def test_reports_are_the_vocabulary_report_names() -> None:
    assert tuple(REPORTS) == REPORT_NAMES
    assert set(revenue.REPORT_LINES) == set(REPORT_NAMES)
    for spec in REPORTS.values():
        assert set(spec.areas) <= set(AREAS) and set(spec.cohorts) <= set(COHORTS), spec.name
    assert REPORTS["renewal"].cohorts == COHORTS
    report_cohorts = [c for name in REPORT_NAMES[:-1] for c in REPORTS[name].cohorts]
    assert sorted(report_cohorts) == sorted(COHORTS)


# --- the web UI ---------------------------------------------------------------------------------


def test_the_web_ui_offers_the_vocabulary() -> None:
    assert (params.CLUSTERS, params.FLAGS, params.COHORTS) == (CLUSTERS, FLAGS, COHORTS)
    assert tuple(svg.CLUSTER_COLOURS) == CLUSTERS
    assert {cell: cluster for cell, cluster in svg.DEFAULT_CELLS.values()} == cluster_of_cell()
    template = (REPO / "scripts" / "web" / "templates" / "matrix.html").read_text(encoding="utf-8")
    assert not [name for name in CLUSTERS if name in template], "the legend is passed in, not written"


# --- the fixture web ----------------------------------------------------------------------------


def test_the_fixture_web_writes_every_signal_type() -> None:
    for table in (content.SIGNALS, content.TYPE_AREAS, world.TYPE_KINDS):
        assert set(table) == set(SIGNAL_IDS)
    assert set(content.TITLES) == {*SIGNAL_IDS, NONE}
    assert set(world.HIRING_ROLE_SLOT) == set(HIRING_IDS)
    assert {area for *_, area in content.COMPETITORS} <= set(AREAS)


def test_the_fixture_web_truth_uses_the_vocabulary_areas() -> None:
    for kind in SIGNALS:
        if kind.polarity > 0 and kind.id != COMPETITOR_TECH:
            assert signal_areas(kind.id, "") == kind.areas, kind.id
    assert signal_areas("cost_cutting", "") == ()
    assert signal_areas(COMPETITOR_TECH, "They keep their books in Xero.") == ("D365BC",)


def test_the_vocabulary_module_imports_nothing_of_the_project() -> None:
    source = Path(vocabulary.__file__).read_text(encoding="utf-8")
    imports = re.findall(r"^\s*(?:from|import)\s+([\w.]+)", source, flags=re.MULTILINE)
    assert all(name.split(".")[0] in {"__future__", "dataclasses", "typing"} for name in imports), imports
