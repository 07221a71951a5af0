"""Server-side SVG charts: the fit x intent heat map and the fit/intent history chart.

Charts use presentation attributes only (no inline style), so they render under a strict
Content-Security-Policy; every piece of text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from markupsafe import Markup, escape

from common.vocabulary import BAND_NAMES, CELLS, CLUSTERS, cluster_of_cell

BAND_THRESHOLDS = (30, 55, 75)
# The default cluster map (SPEC §5) by (fit band, intent band); cells found in the data override it.
DEFAULT_CELLS: dict[tuple[str, str], tuple[str, str]] = {
    bands: (cell, cluster_of_cell()[cell]) for cell, bands in CELLS.items()
}
CLUSTER_COLOURS = dict(zip(CLUSTERS, ("#1a7f37", "#bf8700", "#8250df", "#6e7781"), strict=True))
_LIGHT = (241, 246, 252)
_DARK = (11, 79, 156)


class CellCount(Protocol):
    @property
    def cell(self) -> str: ...
    @property
    def cluster(self) -> str: ...
    @property
    def fit_band(self) -> str: ...
    @property
    def intent_band(self) -> str: ...
    @property
    def count(self) -> int: ...


@dataclass(frozen=True)
class HistoryPoint:
    label: str
    fit: float | None
    intent: float | None


def heat_colour(share: float) -> str:
    """A sequential blue for a share in [0, 1] (square root so small cells stay visible)."""
    t = math.sqrt(min(1.0, max(0.0, share)))
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(_LIGHT, _DARK, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(cells: Sequence[CellCount], href: Callable[[str], str]) -> Markup:
    """The 4x4 matrix: fit bands top (High) to bottom, intent bands left to right (High)."""
    layout: dict[tuple[str, str], tuple[str, str, int]] = {
        key: (cell, cluster, 0) for key, (cell, cluster) in DEFAULT_CELLS.items()
    }
    for item in cells:
        key = (item.fit_band, item.intent_band)
        if key in layout:
            layout[key] = (item.cell, item.cluster, item.count)
    total = sum(count for _, _, count in layout.values())
    largest = max((count for _, _, count in layout.values()), default=0)
    cw, ch, left, top = 150, 96, 96, 28
    width, height = left + 4 * cw + 8, top + 4 * ch + 56
    out = [
        f'<svg class="heatmap" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img"'
        ' aria-label="Fit by intent matrix with customer counts per cell">',
        f'<text x="{left + 2 * cw}" y="16" text-anchor="middle" class="axis-title">Intent →</text>',
        f'<text x="18" y="{top + 2 * ch}" text-anchor="middle" class="axis-title"'
        f' transform="rotate(-90 18 {top + 2 * ch})">Fit →</text>',
    ]
    for row, fit_band in enumerate(reversed(BAND_NAMES)):
        y = top + row * ch
        out.append(
            f'<text x="{left - 10}" y="{y + ch / 2 + 4}" text-anchor="end" class="band">'
            f"{escape(fit_band)}</text>"
        )
        for col, intent_band in enumerate(BAND_NAMES):
            x = left + col * cw
            cell, cluster, count = layout[(fit_band, intent_band)]
            share = count / largest if largest else 0.0
            fill = heat_colour(share)
            ink = "#ffffff" if math.sqrt(share) > 0.55 else "#1f2328"
            pct = f"{100 * count / total:.1f}%" if total else "0%"
            stripe = CLUSTER_COLOURS.get(cluster, "#6e7781")
            label = f"{cell} · {cluster} · fit {fit_band}, intent {intent_band}: {count:,} customers"
            out.append(
                f'<a href="{escape(href(cell))}" class="cell" data-cell="{escape(cell)}"'
                f' aria-label="{escape(label)}"><title>{escape(label)}</title>'
                f'<rect x="{x + 2}" y="{y + 2}" width="{cw - 4}" height="{ch - 4}" rx="6"'
                f' fill="{fill}" stroke="#d0d7de" stroke-width="1"/>'
                f'<rect x="{x + 2}" y="{y + 2}" width="6" height="{ch - 4}" rx="2"'
                f' fill="{stripe}"/>'
                f'<text x="{x + 16}" y="{y + 20}" fill="{ink}" class="cell-id">{escape(cell)}</text>'
                f'<text x="{x + cw - 10}" y="{y + 20}" fill="{ink}" text-anchor="end"'
                f' class="cell-pct">{pct}</text>'
                f'<text x="{x + cw / 2 + 3}" y="{y + ch / 2 + 14}" fill="{ink}"'
                f' text-anchor="middle" class="cell-count">{count:,}</text>'
                "</a>"
            )
    for col, intent_band in enumerate(BAND_NAMES):
        out.append(
            f'<text x="{left + col * cw + cw / 2}" y="{top + 4 * ch + 20}" text-anchor="middle"'
            f' class="band">{escape(intent_band)}</text>'
        )
    legend_y = top + 4 * ch + 42
    x = left
    for cluster, colour in CLUSTER_COLOURS.items():
        out.append(
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" rx="2" fill="{colour}"/>'
            f'<text x="{x + 18}" y="{legend_y}" class="legend">{escape(cluster)}</text>'
        )
        x += 110
    out.append("</svg>")
    return Markup("".join(out))


def history_chart(points: Sequence[HistoryPoint], width: int = 240, height: int = 76) -> Markup:
    """Fit and intent over time (0-100), band thresholds as faint guides."""
    left, right, top, bottom = 26, 12, 8, 20
    plot_w, plot_h = width - left - right, height - top - bottom

    def y_of(value: float) -> float:
        return top + plot_h * (1 - min(100.0, max(0.0, value)) / 100)

    def x_of(index: int) -> float:
        if len(points) <= 1:
            return left + plot_w / 2
        return left + plot_w * index / (len(points) - 1)

    out = [
        f'<svg class="history" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img" aria-label="Fit and intent history">'
    ]
    for threshold in (0, *BAND_THRESHOLDS, 100):
        y = y_of(threshold)
        dash = ' stroke-dasharray="3 3"' if threshold not in (0, 100) else ""
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dee4"'
            f' stroke-width="1"{dash}/>'
            f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end" class="tick">{threshold}</text>'
        )
    for name, colour in (("fit", "#d4610b"), ("intent", "#0b57c2")):
        coords = [
            (x_of(i), y_of(value)) for i, p in enumerate(points) if (value := getattr(p, name)) is not None
        ]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"'
                f' class="series-{name}"/>'
            )
        for x, y in coords:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
    if points:
        out.append(f'<text x="{left}" y="{height - 5}" class="tick">{escape(points[0].label)}</text>')
        if len(points) > 1:
            out.append(
                f'<text x="{width - right}" y="{height - 5}" text-anchor="end" class="tick">'
                f"{escape(points[-1].label)}</text>"
            )
    out.append("</svg>")
    return Markup("".join(out))
