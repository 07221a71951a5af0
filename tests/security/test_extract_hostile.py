"""Hostile HTML never crashes or hangs the extractor: it returns a (possibly empty) text."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signals.extract import ExtractedPage, extract_html

TIME_LIMIT_S = 5.0


def _timed(data: bytes | str) -> tuple[ExtractedPage, float]:
    started = time.perf_counter()
    page = extract_html(data)
    return page, time.perf_counter() - started


def test_deep_nesting_of_block_elements_is_bounded() -> None:
    for tag in ("div", "ul", "section", "blockquote"):
        html = f"<html><body>{f'<{tag}>' * 100_000}deep text{f'</{tag}>' * 100_000}</body></html>"
        page, elapsed = _timed(html.encode())
        assert isinstance(page.text, str)
        assert elapsed < TIME_LIMIT_S, (tag, elapsed)


def test_deep_nesting_of_inline_and_unclosed_elements() -> None:
    cases = [("<b>", 100_000), ("<div><span>", 100_000)] + [
        (opener, 20_000) for opener in ("<span>", "<a href=x>", "<table>", "<p>", "<li>", "<font>")
    ]
    for opener, count in cases:
        html = "<body><article><p>Real text of the article that should survive.</p>" + (opener + "x") * count
        page, elapsed = _timed(html)
        assert isinstance(page.text, str)
        assert elapsed < TIME_LIMIT_S, (opener, elapsed)


def test_huge_attributes_and_many_attributes() -> None:
    huge = "x" * 2_000_000
    html = (
        f'<html lang="{huge}"><body class="{huge}"><div id="{huge}" style="{huge}">'
        + "".join(f'<p data-a{i}="{i}">word {i}</p>' for i in range(2000))
        + "</div></body></html>"
    )
    page, elapsed = _timed(html)
    assert "word 1999" in page.text or page.text == ""
    assert page.language is None
    assert elapsed < TIME_LIMIT_S


def test_invalid_bytes_nul_bytes_and_mixed_encodings() -> None:
    html = (
        b"<html><body><article><p>Caf\xe9 \x00 na\xc3\xafve \xff\xfe\x80 text \xed\xa0\x80 more "
        b"words to make a paragraph of readable length here.</p></article></body></html>"
    )
    page = extract_html(html)
    assert "\x00" not in page.text
    assert "text" in page.text


def test_scripts_and_styles_in_text_never_leak() -> None:
    html = """<html><body><article><p>Before the script, a real sentence of the article body.</p>
    <script>document.write("<p>SCRIPT-LEAK</p>"); if (a < b && c > d) {}</script>
    <style>p::after { content: "STYLE-LEAK" }</style><noscript>NOSCRIPT-LEAK</noscript>
    <template><p>TEMPLATE-LEAK</p></template><svg><text>SVG-LEAK</text></svg>
    <p>After the script, another real sentence of the article body.</p></article></body></html>"""
    page = extract_html(html)
    assert "Before the script" in page.text and "After the script" in page.text
    assert "LEAK" not in page.text


def test_five_megabyte_page_is_bounded() -> None:
    sentence = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20
    html = "<html><body><article>" + "".join(
        f"<p>{i} {sentence}</p>" for i in range(5_000_000 // len(sentence))
    )
    page, elapsed = _timed(html.encode())
    assert len(page.text) > 100_000
    assert elapsed < TIME_LIMIT_S


def test_malformed_markup() -> None:
    for html in (
        "<html><body><p>unclosed <b>bold <i>italic</p></b> tail text</i>",
        "<<<<>>>><p>></p><//p><p/ ><a href='>'>x</a>",
        "<!DOCTYPE><html><html><body><body><p>double tags</p>",
        "<p>comment <!-- never closed",
        "<![CDATA[ data ]]><?php echo 1; ?><p>after pi</p>",
        "<table><tr><td>cell<td>cell2<tr><p>stray</table>",
        "\ufeff\ufeff<p>\u202eright-to-left override\u202c and \ud7ff</p>",
    ):
        page = extract_html(html)
        assert isinstance(page.text, str)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_never_raises_on_random_bytes(data: bytes) -> None:
    page = extract_html(data)
    assert isinstance(page.text, str)
    assert page.text == "\n\n".join(page.blocks)


_TAGS = st.sampled_from(
    [
        "div",
        "p",
        "a",
        "b",
        "span",
        "article",
        "main",
        "nav",
        "footer",
        "li",
        "ul",
        "table",
        "td",
        "tr",
        "script",
        "style",
        "h1",
        "h2",
        "br",
        "header",
        "aside",
        "time",
        "meta",
    ]
)
_ATTRS = st.sampled_from(
    [
        "",
        ' class="content"',
        ' class="footer"',
        ' id="main"',
        " hidden",
        ' style="display:none"',
        ' itemprop="articleBody"',
        ' role="main"',
        ' datetime="2026-01-01"',
        ' lang="de"',
        ' class="share comments"',
        ' href="/x"',
    ]
)
_PIECES = st.one_of(
    st.builds(lambda t, a: f"<{t}{a}>", _TAGS, _ATTRS),
    st.builds(lambda t: f"</{t}>", _TAGS),
    st.text(max_size=40),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=120))
def test_never_raises_on_random_markup(pieces: list[str]) -> None:
    html = "".join(pieces)
    for data in (html, html.encode("utf-8", "surrogatepass")):
        page = extract_html(data)
        assert isinstance(page.text, str)
        assert page.title is None or isinstance(page.title, str)
        assert page.published is None or isinstance(page.published, str)


def test_many_blocks_at_depth_are_bounded() -> None:
    for nesting in ("<div>" * 100, "<section><div>" * 40, ""):
        html = "<body>" + nesting + "".join(f"<p>paragraph {i} of text</p>" for i in range(150_000))
        page, elapsed = _timed(html)
        assert isinstance(page.text, str)
        assert elapsed < TIME_LIMIT_S, (nesting[:20], elapsed)
