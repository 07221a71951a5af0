"""Main-text extraction on handcrafted pages in the styles of real news, blog, press and job pages."""

from __future__ import annotations

import json

import pytest

from scripts.cli import main as cli_main
from signals.charset import decode_html, detect_encoding
from signals.dates import date_from_jsonld, date_from_text, date_from_url, normalize_date
from signals.extract import ExtractedPage, extract_html
from signals.language import detect_language, guess_language, normalize_language

NAV = """
<header class="site-header"><a href="/">Contoso</a>
  <nav><ul><li><a href="/products">Products</a></li><li><a href="/about">About us</a></li>
  <li><a href="/careers">Careers</a></li></ul></nav></header>
"""
FOOTER = """
<footer id="colophon"><p>© 2026 Contoso Ltd. All rights reserved.</p>
  <ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/imprint">Imprint</a></li></ul>
</footer>
<div class="cookie-banner"><p>We use cookies to improve your experience on our site.</p>
  <button>Accept all</button></div>
"""

NEWS_PAGE = f"""<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Contoso opens Leeds office | Business News Daily</title>
<meta property="og:title" content="Contoso opens new office in Leeds">
<meta property="article:published_time" content="2026-05-14T08:30:00Z">
</head><body>{NAV}
<main><article>
  <h1>Contoso opens new office in Leeds</h1>
  <div class="byline">By Jane Doe, 14 May 2026</div>
  <div class="share-buttons"><a href="#">Share on Twitter</a> <a href="#">Share on LinkedIn</a></div>
  <p>Contoso, the Manchester-based logistics software company, has opened a new office in
  Leeds and plans to hire 40 engineers over the next year.</p>
  <h2>Growth plans</h2>
  <p>The company said the expansion follows a record year in which revenue grew by 35 percent,
  driven by demand for its cloud routing platform.</p>
  <ul><li>40 new engineering roles in Leeds</li><li>A second data team in Manchester</li></ul>
  <aside class="related-articles"><h3>Related articles</h3>
    <ul><li><a href="/a">Fabrikam raises Series B</a></li><li><a href="/b">Northwind expands</a></li></ul>
  </aside>
  <section id="comments" class="comments"><h3>2 comments</h3>
    <p>Great news for the city, finally some tech jobs up north!</p></section>
</article></main>{FOOTER}
<script>var tracking = "This script text must never appear in the output";</script>
</body></html>"""

BLOG_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Warum wir zu Azure umziehen – Fabrikam Blog</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "Fabrikam"},
 {"@type": "BlogPosting", "headline": "Warum wir zu Azure umziehen",
  "datePublished": "2026-03-02T10:15:00+01:00", "author": {"@type": "Person", "name": "Max"}}]}
</script></head>
<body class="post-template-default single has-sidebar">
<div id="page" class="site">
 <div class="site-branding"><a href="/">Fabrikam Blog</a></div>
 <div id="primary" class="content-area"><div class="entry-content">
  <p>Nach zehn Jahren mit eigenem Rechenzentrum haben wir entschieden, unsere gesamte
  Infrastruktur in die Cloud zu verlagern. Der Umzug soll bis Ende des Jahres abgeschlossen sein.</p>
  <p>Dabei helfen uns zwei externe Partner, die bereits ähnliche Projekte begleitet haben.
  Wir berichten hier regelmäßig über die Fortschritte.</p>
  <div class="sharedaddy"><h3>Teilen mit:</h3><a href="#">Facebook</a><a href="#">X</a></div>
 </div></div>
 <div id="secondary" class="widget-area sidebar">
  <section class="widget"><h2>Neueste Beiträge</h2><ul><li><a href="/1">Unser Team wächst</a></li>
  <li><a href="/2">Rückblick 2025</a></li></ul></section></div>
</div></body></html>"""

PRESS_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<title>Press release - Northwind Traders</title>
<meta name="description" content="Northwind Traders acquires Tailspin Toys">
</head><body>
<table width="100%"><tr><td class="menu"><a href="/">Home</a><br><a href="/press">Press</a><br>
<a href="/contact">Contact</a></td>
<td class="maintext">
<p><b>PRESS RELEASE</b></p>
<p>Paris, le 3 février 2026 — Northwind Traders annonce l'acquisition de Tailspin Toys, un
fabricant de jouets basé à Lyon. Cette opération renforce sa présence sur le marché européen.</p>
<p>Les deux sociétés emploieront ensemble plus de 800 personnes dans cinq pays. La transaction
devrait être finalisée au deuxième trimestre.</p>
</td></tr></table></body></html>""".encode("cp1252")

JOB_PAGE = """<!doctype html><html lang="en"><head><title>Senior Cloud Engineer (m/f/d) - Careers at Litware</title>
<meta name="viewport" content="width=device-width"></head><body>
<div class="topbar"><a href="/jobs">All jobs</a> | <a href="/login">Login</a></div>
<div role="main">
 <h1>Senior Cloud Engineer (m/f/d)</h1>
 <p>Posted <time datetime="2026-04-20">April 20, 2026</time> · Munich · Full-time</p>
 <h2>Your tasks</h2>
 <ul><li>Design and run our Azure landing zones and Kubernetes clusters</li>
 <li>Automate infrastructure with Terraform and GitHub Actions</li></ul>
 <h2>Your profile</h2>
 <ul><li>Five years of experience operating production cloud infrastructure</li>
 <li>Fluent English; German is a plus</li></ul>
 <form action="/apply"><input name="email"><button>Apply now</button></form>
</div>
<div class="newsletter-signup"><p>Subscribe to job alerts and never miss an opening again.</p></div>
</body></html>"""


def test_news_page_keeps_body_and_drops_furniture() -> None:
    page = extract_html(NEWS_PAGE.encode(), url="https://news.example/2026/05/14/contoso-leeds")
    assert page.title == "Contoso opens new office in Leeds"
    assert page.published == "2026-05-14T08:30:00+00:00"
    assert page.language == "en"
    assert "plans to hire 40 engineers" in page.text
    assert "Growth plans" in page.text
    assert "40 new engineering roles in Leeds" in page.text
    for furniture in (
        "Products",
        "Share on Twitter",
        "Related articles",
        "Fabrikam raises",
        "finally some tech jobs",
        "All rights reserved",
        "We use cookies",
        "This script text",
    ):
        assert furniture not in page.text, furniture
    assert page.text == "\n\n".join(page.blocks)


def test_blog_page_with_jsonld_date_and_sidebar() -> None:
    page = extract_html(BLOG_PAGE.encode())
    assert page.published == "2026-03-02T10:15:00+01:00"
    assert page.language == "de"
    assert page.title == "Warum wir zu Azure umziehen"
    assert "gesamte Infrastruktur in die Cloud" in page.text
    assert "regelmäßig über die Fortschritte" in page.text
    assert "Neueste Beiträge" not in page.text
    assert "Teilen mit" not in page.text
    assert "Unser Team wächst" not in page.text


def test_press_release_in_legacy_table_layout_and_latin1() -> None:
    page = extract_html(PRESS_PAGE, content_type="text/html")
    assert page.title == "Press release"
    assert "annonce l'acquisition de Tailspin Toys" in page.text
    assert "février" in page.text
    assert "Contact" not in page.text
    assert page.language == "fr"
    assert page.published == "2026-02-03"


def test_job_page_lists_and_time_element() -> None:
    page = extract_html(JOB_PAGE)
    assert page.title == "Senior Cloud Engineer (m/f/d)"
    assert page.published == "2026-04-20"
    assert "Design and run our Azure landing zones" in page.text
    assert "Your profile" in page.text
    assert "Apply now" not in page.text
    assert "All jobs" not in page.text
    assert "job alerts" not in page.text


def test_listing_page_with_many_articles_keeps_them_all() -> None:
    teasers = "".join(
        f"<article><h2>Story {i}</h2><p>{f'Readable teaser text about story number {i}. ' * 4}</p></article>"
        for i in range(5)
    )
    page = extract_html(f"<html><body><nav><a href='/'>Home</a></nav><main>{teasers}</main></body>")
    for i in range(5):
        assert f"story number {i}" in page.text


def test_hidden_elements_are_dropped() -> None:
    html = """<html><body><article>
    <p>Visible paragraph with enough words to be the main content of this page.</p>
    <p style="display: none">Invisible spam paragraph</p><div hidden>Hidden block</div>
    <p aria-hidden="true">Screen readers skip this one</p></article></body></html>"""
    page = extract_html(html)
    assert "Visible paragraph" in page.text
    for hidden in ("Invisible spam", "Hidden block", "Screen readers skip"):
        assert hidden not in page.text


def test_inline_markup_does_not_split_words_and_blocks_are_paragraphs() -> None:
    html = "<body><article><p>Con<b>toso</b> is <a href='/x'>hiring</a> now.</p><p>Second.</p></article>"
    page = extract_html(html)
    assert page.blocks == ["Contoso is hiring now.", "Second."]


@pytest.mark.parametrize("bad", [b"", b"   ", "", b"\x00\x00", b"<div></div>", b"<html>", b"<!-- -->"])
def test_degenerate_input_gives_empty_page(bad: bytes | str) -> None:
    page = extract_html(bad)
    assert isinstance(page, ExtractedPage)
    assert page.text == ""


def test_as_json_has_the_cli_contract_keys() -> None:
    assert set(extract_html(JOB_PAGE).as_json()) == {"title", "published", "language", "text"}


# --- charset ---------------------------------------------------------------------------


def test_charset_order_bom_utf8_http_meta() -> None:
    text = "Größe – “quoted”"
    assert decode_html(b"\xef\xbb\xbf" + text.encode()) == text
    assert decode_html(text.encode("utf-16")) == text
    # Valid UTF-8 wins over a wrong Latin-1 label.
    assert decode_html(text.encode(), "text/html; charset=ISO-8859-1") == text
    cp = "<p>Größe – “quoted”</p>".encode("cp1252")
    assert decode_html(cp, "text/html; charset=iso-8859-1") == "<p>Größe – “quoted”</p>"
    meta = b'<meta charset="windows-1252"><p>' + "Größe".encode("cp1252")
    assert detect_encoding(meta) == "cp1252"
    assert "Größe" in decode_html(meta)


def test_charset_never_raises_and_removes_nul() -> None:
    assert decode_html(b"a\x00b\xff\xfe c", "text/html; charset=nonsense-9").startswith("ab")
    assert "\x00" not in decode_html("x\x00y")
    assert decode_html(b'<meta charset="utf-16"><p>hi</p>') == '<meta charset="utf-16"><p>hi</p>'


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-05-14", "2026-05-14"),
        ("2026-05-14T08:30:00Z", "2026-05-14T08:30:00+00:00"),
        ("2026-05-14T08:30:00.123+0200", "2026-05-14T08:30:00+02:00"),
        ("2026-05-14 08:30", "2026-05-14T08:30:00"),
        ("14 May 2026", "2026-05-14"),
        ("May 14th, 2026", "2026-05-14"),
        ("14. Mai 2026", "2026-05-14"),
        ("14.05.2026", "2026-05-14"),
        ("le 3 février 2026", "2026-02-03"),
        ("14 de mayo de 2026", "2026-05-14"),
        ("2026年5月14日", "2026-05-14"),
        ("1890-01-01", None),
        ("2026-13-45", None),
        ("not a date", None),
        ("", None),
    ],
)
def test_normalize_date(raw: str, expected: str | None) -> None:
    assert normalize_date(raw) == expected


def test_date_from_url_and_text() -> None:
    assert date_from_url("https://x.example/2026/05/14/title/") == "2026-05-14"
    assert date_from_url("https://x.example/news/2026-05-14-title") == "2026-05-14"
    assert date_from_url("https://x.example/20260514/title") == "2026-05-14"
    assert date_from_url("https://x.example/product/123456") is None
    assert date_from_text("Posted on March 3, 2026 by admin") == "2026-03-03"


def test_jsonld_is_parsed_defensively() -> None:
    assert date_from_jsonld(["{not json", '{"datePublished": 5}', "[" * 5000 + "]" * 5000]) is None
    assert date_from_jsonld(['[{"@graph": [{"dateCreated": "2026-01-02"}]}]']) == "2026-01-02"
    huge = '{"datePublished": "2026-01-02", "x": "' + "a" * 300_000 + '"}'
    assert date_from_jsonld([huge]) is None


def test_meta_date_beats_url_and_time() -> None:
    html = """<html><head><meta name="date" content="2026-01-05"></head><body><article>
    <time datetime="2026-02-01">Feb 1</time><p>Text of the article, long enough to count here.</p>
    </article></body></html>"""
    assert extract_html(html, url="https://x.example/2025/12/01/a").published == "2026-01-05"


# --- language --------------------------------------------------------------------------


def test_language_declared_and_guessed() -> None:
    assert normalize_language("de-AT") == "de"
    assert normalize_language("x-default") is None
    assert normalize_language("  ") is None
    assert detect_language(html_lang="", meta_lang="nl-NL") == "nl"
    assert detect_language(content_language="fr, en") == "fr"
    samples = {
        "en": "The company said that it will open a new office in the city and that the team is growing.",
        "de": "Die Firma hat mitgeteilt, dass sie ein neues Büro in der Stadt eröffnen wird und das Team wächst.",
        "fr": "La société a annoncé qu'elle ouvrira un nouveau bureau dans la ville et que l'équipe est en croissance.",
        "es": "La empresa dijo que abrirá una nueva oficina en la ciudad y que el equipo está creciendo con más personas.",
        "it": "La società ha detto che aprirà un nuovo ufficio nella città e che il team è in crescita per il futuro.",
        "nl": "Het bedrijf heeft gezegd dat het een nieuw kantoor in de stad opent en dat het team groeit met de tijd.",
        "pt": "A empresa disse que vai abrir um novo escritório na cidade e que a equipe está crescendo com mais pessoas.",
        "ja": "当社は東京に新しいオフィスを開設しました。来月から新しいチームで営業を開始します。よろしくお願いします。",
    }
    for lang, text in samples.items():
        assert guess_language(text) == lang, lang
    assert guess_language("Contoso Fabrikam") is None


# --- command line ----------------------------------------------------------------------


def test_cli_extract_json(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "page.html"
    path.write_text(NEWS_PAGE, encoding="utf-8")
    assert cli_main(["extract", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"title", "published", "language", "text"}
    assert out["title"] == "Contoso opens new office in Leeds"
    assert "plans to hire 40 engineers" in out["text"]


def test_cli_extract_rejects_urls_and_missing_files(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli_main(["extract", "https://example.com/page", "--json"]) == 2
    assert "crawler" in capsys.readouterr().err
    assert cli_main(["extract", str(tmp_path / "missing.html")]) == 2


def test_cli_extract_stdin(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import io
    import sys

    stdin = io.TextIOWrapper(io.BytesIO(JOB_PAGE.encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert cli_main(["extract", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["published"] == "2026-04-20"


def test_date_from_theme_classes_and_day_first_datetime() -> None:
    byline = """<html><body><article><div class="info"><span class="date">02.02.2022</span></div>
    <p>Article text that is long enough to be the main content of this small page.</p>
    </article></body></html>"""
    assert extract_html(byline).published == "2022-02-02"
    day_first = """<html><body><article><time datetime="01-11-2023 10:29">1. November 2023</time>
    <p>Article text that is long enough to be the main content of this small page.</p>
    </article></body></html>"""
    assert extract_html(day_first).published == "2023-11-01"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("<title>Contoso wins award | Contoso News</title>", "Contoso wins award"),
        (
            "<title>Contoso wins award - Contoso</title><body><h1>Contoso wins award</h1>",
            "Contoso wins award",
        ),
        ('<meta property="og:title" content="Big deal » Fabrikam">', "Big deal"),
        ("<title>Home</title>", "Home"),
        ("<title>News | Contoso opens Leeds office</title>", "Contoso opens Leeds office"),
    ],
)
def test_title_strips_site_names(head: str, expected: str) -> None:
    assert extract_html(f"<html><head>{head}</head></html>").title == expected
