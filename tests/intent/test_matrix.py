"""Bands, cells and clusters (SPEC §5) and the matrix as a setting."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.vocabulary import BAND_NAMES
from intent.matrix import Matrix, MatrixError
from intent.settings import IntentSettings

DEFAULTS = IntentSettings()


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "Very low"),
        (29, "Very low"),
        (30, "Low"),
        (54, "Low"),
        (55, "Medium"),
        (74, "Medium"),
        (75, "High"),
        (100, "High"),
    ],
)
def test_band_edges_follow_the_spec(score: float, band: str) -> None:
    assert Matrix.from_settings(DEFAULTS).band(score) == band


def test_default_map_is_the_spec_table() -> None:
    matrix = Matrix.from_settings(DEFAULTS)
    h, m, lo, v = "High", "Medium", "Low", "Very low"
    expected = {
        "A1": (h, h, "Act now"),
        "A2": (h, m, "Act now"),
        "A3": (m, h, "Act now"),
        "A4": (m, m, "Act now"),
        "B1": (h, lo, "Evaluate"),
        "B2": (lo, h, "Evaluate"),
        "B3": (m, lo, "Evaluate"),
        "B4": (lo, m, "Evaluate"),
        "C1": (h, v, "Nurture"),
        "C2": (v, h, "Nurture"),
        "C3": (lo, lo, "Nurture"),
        "C4": (m, v, "Nurture"),
        "D1": (v, m, "Educate"),
        "D2": (lo, v, "Educate"),
        "D3": (v, lo, "Educate"),
        "D4": (v, v, "Educate"),
    }
    for cell, (fit_band, intent_band, cluster) in expected.items():
        assert matrix.cell_of[(fit_band, intent_band)] == cell
        assert matrix.cluster_of[cell] == cluster
    assert matrix.clusters == ("Act now", "Evaluate", "Nurture", "Educate")


@st.composite
def shuffled_maps(draw: st.DrawFn) -> IntentSettings:
    pairs = [[f, i] for f in BAND_NAMES for i in BAND_NAMES]
    order = draw(st.permutations(pairs))
    names = [f"X{n}" for n in range(16)]
    cells = dict(zip(names, order, strict=True))
    cut = sorted(draw(st.lists(st.integers(1, 15), min_size=3, max_size=3, unique=True)))
    groups = [names[: cut[0]], names[cut[0] : cut[1]], names[cut[1] : cut[2]], names[cut[2] :]]
    clusters = {f"K{n}": group for n, group in enumerate(groups)}
    return dataclasses.replace(DEFAULTS, cells=cells, clusters=clusters)


@settings(max_examples=60, deadline=None)
@given(shuffled_maps(), st.integers(0, 100), st.integers(0, 100))
def test_every_cell_gets_the_cluster_of_the_map(config, fit, intent) -> None:
    matrix = Matrix.from_settings(config)
    fit_band, intent_band, cell, cluster = matrix.place(fit, intent)
    assert config.cells[cell] == [fit_band, intent_band]
    assert cell in config.clusters[cluster]


@given(st.integers(0, 100), st.integers(0, 100))
def test_default_cell_and_cluster_agree_for_every_score(fit, intent) -> None:
    matrix = Matrix.from_settings(DEFAULTS)
    fit_band, intent_band, cell, cluster = matrix.place(fit, intent)
    assert DEFAULTS.cells[cell] == [fit_band, intent_band]
    assert cell in DEFAULTS.clusters[cluster]


def test_vectorised_bands_match() -> None:
    import numpy as np

    matrix = Matrix.from_settings(DEFAULTS)
    scores = np.arange(0, 101, dtype=float)
    assert [BAND_NAMES[i] for i in matrix.band_index(scores)] == [matrix.band(s) for s in scores]


def test_a_map_missing_a_pair_is_refused() -> None:
    cells = dict(DEFAULTS.cells)
    cells["A1"] = ["High", "Medium"]  # now A1 and A2 share a pair and (High, High) is missing
    with pytest.raises(MatrixError):
        Matrix.from_settings(dataclasses.replace(DEFAULTS, cells=cells))


def test_a_cell_in_two_clusters_is_refused() -> None:
    clusters = {k: list(v) for k, v in DEFAULTS.clusters.items()}
    clusters["Evaluate"].append("A1")
    with pytest.raises(MatrixError):
        Matrix.from_settings(dataclasses.replace(DEFAULTS, clusters=clusters))


def test_bad_band_edges_are_refused() -> None:
    with pytest.raises(MatrixError):
        Matrix.from_settings(dataclasses.replace(DEFAULTS, band_edges=[55.0, 30.0, 75.0]))
