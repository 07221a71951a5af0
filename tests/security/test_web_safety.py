"""Escaping, highlighting, link and CSV-cell rules of the UI, including hostile input."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from scripts.web.safety import highlight, neutralise_cell, safe_href
from scripts.web.svg import HistoryPoint, heat_colour, heatmap, history_chart
from storage.views import MatrixCell


def test_highlight_marks_the_phrase_after_escaping() -> None:
    out = str(highlight("We <b>are</b> hiring three cloud engineers now", "hiring three cloud"))
    assert out == "We &lt;b&gt;are&lt;/b&gt; <mark>hiring three cloud</mark> engineers now"


def test_highlight_of_markup_in_the_phrase_stays_text() -> None:
    out = str(highlight("x <script>alert(1)</script> y", "<script>alert(1)</script>"))
    assert out == "x <mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark> y"


def test_highlight_ignores_case_and_whitespace_runs_and_marks_every_occurrence() -> None:
    out = str(highlight("Cloud  migration and CLOUD\nmigration", "cloud migration"))
    assert out == "<mark>Cloud  migration</mark> and <mark>CLOUD\nmigration</mark>"


def test_highlight_without_phrase_or_match_is_just_escaped() -> None:
    assert str(highlight("a & b", "")) == "a &amp; b"
    assert str(highlight("a & b", "zzz")) == "a &amp; b"


@given(st.text(max_size=200), st.text(max_size=30))
def test_highlight_never_emits_markup_but_mark(passage: str, phrase: str) -> None:
    out = str(highlight(passage, phrase))
    stripped = out.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped
    assert html.unescape(stripped) == passage


def test_safe_href_allows_only_web_links() -> None:
    assert safe_href("https://contoso.example/a?b=1") == "https://contoso.example/a?b=1"
    assert safe_href("http://contoso.example/") == "http://contoso.example/"
    for bad in (
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>",
        "vbscript:x",
        "//evil.example/",
        "/relative",
        "https://",
        "file:///etc/passwd",
        "",
        None,
        "https://a.example/" + "x" * 3000,
        "https://a.example/\nx",
    ):
        assert safe_href(bad) is None, bad


def test_neutralise_cell_prefixes_formula_starters() -> None:
    for value in ("=1+1", "+1", "-1+1", "-A1", "@SUM(A1)", "\tx", "\rx", "  =1+1"):
        assert neutralise_cell(value) == "'" + value
    assert neutralise_cell("-5.00") == "'-5.00"  # text that looks like a number is still text
    assert neutralise_cell(-5.5) == "-5.5"  # a number stays a number
    assert neutralise_cell("Contoso") == "Contoso"
    assert neutralise_cell(None) == ""
    assert neutralise_cell(42) == "42"


def test_heatmap_lays_out_cells_and_escapes_links() -> None:
    cells = [
        MatrixCell("A1", "Act now", "High", "High", 5),
        MatrixCell("D4", "Educate", "Very low", "Very low", 20),
    ]
    svg = str(heatmap(cells, lambda cell: f"/customers?cell={cell}&x=<y>"))
    assert svg.count("<a ") == 16
    assert 'href="/customers?cell=A1&amp;x=&lt;y&gt;"' in svg
    assert re.search(r'data-cell="D4".*?class="cell-count">20<', svg, re.S)
    assert re.search(r'data-cell="B2".*?class="cell-count">0<', svg, re.S)
    assert "style=" not in svg  # presentation attributes only (CSP forbids inline style)


def test_heat_colour_scale_is_monotonic() -> None:
    darkness = [sum(int(heat_colour(s)[i : i + 2], 16) for i in (1, 3, 5)) for s in (0, 0.2, 1)]
    assert darkness[0] > darkness[1] > darkness[2]


def test_history_chart_draws_both_series() -> None:
    svg = str(history_chart([HistoryPoint("2026-10", 40, 10), HistoryPoint("2026-11", 60, 80)]))
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 4
    assert "2026-10" in svg and "2026-11" in svg
    single = str(history_chart([HistoryPoint("<x>", 50, None)]))
    assert "<polyline" not in single and single.count("<circle") == 1 and "&lt;x&gt;" in single
