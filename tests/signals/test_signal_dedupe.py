"""One event, one signal: a press release repeated across a site's pages (or as a feed entry
beside its article) and an event restated in a document's headline, lead and quote each give
a single signal, on a real SQLite store with the real model."""

from __future__ import annotations

from signals.pipeline import without_headline
from storage.store import Store
from tests.support.pipeline import customer, document, pipeline
from tests.support.signal_pages import RELEASE


def release_page(title: str, extra: str = "") -> bytes:
    return f"""<!doctype html><html lang="en"><head><title>{title}</title></head>
<body><article><h1>{title}</h1><p>FOR IMMEDIATE RELEASE.</p><p>{RELEASE[0]}</p>
<p>"{RELEASE[1]}" said the managing director.</p>{extra}</article></body></html>""".encode()


async def test_release_repeated_on_several_pages_gives_one_signal(store: Store) -> None:
    await store.customers.upsert_all([customer()])
    docs = [
        document("/news/acquisition", release_page("Westbrook acquires Hollin Timber"), fetched_at=10.0),
        # the same article again as its feed entry, then quoted on two other pages
        document(
            "/news/acquisition",
            # the entry carries the article's body without its headline
            (
                f"<p>FOR IMMEDIATE RELEASE.</p><p>{RELEASE[0]}</p>"
                f"<p>&quot;{RELEASE[1]}&quot; said the managing director.</p>"
            ).encode(),
            fetched_at=11.0,
            kind="feed_entry",
        ),
        document("/press", release_page("Press releases"), fetched_at=12.0),
        document(
            "/", release_page("Welcome to Westbrook", "<p>Opening hours are 8 to 5.</p>"), fetched_at=13.0
        ),
    ]
    await store.documents.store(docs)
    stats = await pipeline(store).run()
    assert stats.documents == 4

    signals = await store.signals.by_customer("C1")
    acquisitions = [s for s in signals if s.signal_type == "merger_acquisition"]
    # a document states the event three times (headline, lead, quote): one signal, and the
    # later copies of its sentences give none
    assert len(acquisitions) == 1, [(s.url, s.passage) for s in acquisitions]
    assert acquisitions[0].url.endswith("/news/acquisition")
    assert "Hollin Timber" in acquisitions[0].passage
    assert "Westbrook acquires" not in acquisitions[0].passage  # the headline is the title


async def test_reclassifying_keeps_the_single_signal(store: Store) -> None:
    await store.customers.upsert_all([customer()])
    docs = [document(f"/p{n}", release_page(f"News page {n}"), fetched_at=float(n)) for n in range(3)]
    await store.documents.store(docs)
    await pipeline(store).run()
    first = [(s.url, s.signal_type, s.passage) for s in await store.signals.by_customer("C1")]
    await store.db.execute("UPDATE documents SET classified_at = NULL")
    await pipeline(store).run()
    again = [(s.url, s.signal_type, s.passage) for s in await store.signals.by_customer("C1")]
    assert sorted(first) == sorted(again)
    assert [t for _, t, _ in first].count("merger_acquisition") == 1


def test_headline_is_taken_off_the_main_text() -> None:
    text = "Acme buys Foo\nFOR IMMEDIATE RELEASE. Acme has bought Foo Ltd."
    assert without_headline(text, "Acme buys Foo") == "FOR IMMEDIATE RELEASE. Acme has bought Foo Ltd."
    # a title with the site's name after the headline
    assert without_headline(text, "Acme buys Foo | Acme News").startswith("FOR IMMEDIATE")
    # not the headline: the text is left alone
    assert without_headline(text, "Quarterly results") == text
    assert without_headline(text, None) == text
    # a one-word first line is too little to be sure it is the headline
    assert without_headline("Acme\nAcme has bought Foo Ltd.", "Acme") == "Acme\nAcme has bought Foo Ltd."
    assert without_headline("Acme buys Foo", "Acme buys Foo") == ""
