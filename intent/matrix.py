"""Bands, the 4x4 fit x intent matrix and its clusters (SPEC §5); the map is a setting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from common.errors import InputError
from common.vocabulary import BAND_NAMES
from intent.settings import IntentSettings


class MatrixError(InputError):
    """The configured band edges, cells or clusters do not form a valid matrix."""


@dataclass(frozen=True)
class Matrix:
    """Band edges plus cell and cluster lookups, validated once."""

    edges: tuple[float, float, float]
    cell_of: dict[tuple[str, str], str]
    cluster_of: dict[str, str]
    clusters: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: IntentSettings) -> Matrix:
        edges = tuple(float(e) for e in settings.band_edges)
        if len(edges) != 3 or not 0 < edges[0] < edges[1] < edges[2] <= 100:
            raise MatrixError(f"band_edges must be three increasing numbers in (0, 100]: {edges}")
        cell_of: dict[tuple[str, str], str] = {}
        for cell, pair in settings.cells.items():
            if len(pair) != 2 or any(band not in BAND_NAMES for band in pair):
                raise MatrixError(f"cell {cell}: {pair} is not [fit band, intent band]")
            key = (pair[0], pair[1])
            if key in cell_of:
                raise MatrixError(f"cells {cell_of[key]} and {cell} share the bands {pair}")
            cell_of[key] = cell
        if len(cell_of) != len(BAND_NAMES) ** 2:
            raise MatrixError(f"the matrix needs all 16 band pairs, got {len(cell_of)}")
        cluster_of: dict[str, str] = {}
        for cluster, cells in settings.clusters.items():
            for cell in cells:
                if cell not in settings.cells:
                    raise MatrixError(f"cluster {cluster}: unknown cell {cell}")
                if cell in cluster_of:
                    raise MatrixError(f"cell {cell} is in clusters {cluster_of[cell]} and {cluster}")
                cluster_of[cell] = cluster
        missing = sorted(set(settings.cells) - set(cluster_of))
        if missing:
            raise MatrixError(f"cells without a cluster: {', '.join(missing)}")
        return cls((edges[0], edges[1], edges[2]), cell_of, cluster_of, tuple(settings.clusters))

    def band(self, score: float) -> str:
        """High 75-100, Medium 55-74, Low 30-54, Very low 0-29 with the default edges."""
        index = sum(1 for edge in self.edges if score >= edge)
        return BAND_NAMES[index]

    def band_index(self, scores: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`band` as indexes into BAND_NAMES."""
        return np.searchsorted(np.asarray(self.edges), scores, side="right").astype(np.int8)

    def place(self, fit: float, intent: float) -> tuple[str, str, str, str]:
        """(fit band, intent band, cell, cluster) of one customer and area."""
        fit_band, intent_band = self.band(fit), self.band(intent)
        cell = self.cell_of[(fit_band, intent_band)]
        return fit_band, intent_band, cell, self.cluster_of[cell]

    def cluster_rank(self, cluster: str) -> int:
        """0 for the best cluster (Act now by default)."""
        return self.clusters.index(cluster)
