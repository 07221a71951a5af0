"""One press release published on several pages of a customer site (evidence and dedupe tests)."""

from __future__ import annotations

import hashlib

from storage.documents import NewDocument

RELEASE = (
    "Westbrook Joinery has agreed to acquire Hollin Timber, a sawmill in Cumbria, for £4 million.",
    "The purchase of Hollin Timber gives Westbrook Joinery its own supply of seasoned oak.",
)


def _page(title: str, published: str | None) -> bytes:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    return f"""<!doctype html><html lang="en"><head><title>{title}</title>{meta}</head>
<body><article><h1>{title}</h1><p>{RELEASE[0]}</p>
<p>"{RELEASE[1]}" said the managing director.</p></article></body></html>""".encode()


# The same release on four pages; the dated article is the one to cite.
PAGES = {
    "/": _page("Welcome to Westbrook", None),
    "/press": _page("Press releases", None),
    "/news/acquisition": _page("Westbrook acquires Hollin Timber", "2026-10-01T09:00:00Z"),
    "/blog/2026/12/year-in-review": _page("Our year in review", "2026-12-01T09:00:00Z"),
}


def _documents(
    paths: list[str], customer_id: str = "C1", domain: str = "westbrook.example"
) -> list[NewDocument]:
    return [
        NewDocument(
            customer_id,
            f"https://{domain}{path}",
            "page",
            1000.0 + n,
            hashlib.sha256(PAGES[path]).hexdigest(),
            PAGES[path],
            source_kind="newsroom",
            content_type="text/html; charset=utf-8",
        )
        for n, path in enumerate(paths)
    ]
