"""The UI's read queries (storage/views.py): results, and plans that walk indexes.

The plan checks keep the customer list fast at 100,000 customers: a page is found through an
index in the sort order (no sort of every customer of the month), whatever other indexes
exist on the same tables.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.store import Store, open_store
from storage.views import (
    CustomerFilter,
    SqliteViewQueries,
    _count_query,
    _page_query,
    should_walk,
)
from tests.support.web_rows import MONTHS, seed


@pytest.fixture
async def seeded(db_path: Path) -> Store:
    await seed(db_path)
    return await open_store(db_path)


async def plan(store: Store, sql: str, params: list[object]) -> str:
    rows = await store.db.fetchall("EXPLAIN QUERY PLAN " + sql, params)
    return "\n".join(str(row[3]) for row in rows)


async def subquery_plan(store: Store, sql: str, params: list[object]) -> str:
    """The plan lines under the query's LIST SUBQUERY node (the page's id pick)."""
    rows = [tuple(r) for r in await store.db.fetchall("EXPLAIN QUERY PLAN " + sql, params)]
    roots = {r[0] for r in rows if str(r[3]).startswith("LIST SUBQUERY")}
    inside: set[int] = set(roots)
    for node, parent, _, _ in rows:  # parents are listed before their children
        if parent in inside:
            inside.add(node)
    return "\n".join(str(r[3]) for r in rows if r[0] in inside - roots)


async def test_months_areas_and_filter_choices(seeded: Store) -> None:
    views = SqliteViewQueries(seeded.db)
    try:
        assert await views.months() == list(reversed(MONTHS))
        assert set(await views.areas(MONTHS[-1])) == {
            "Azure",
            "M365",
            "Security",
            "Surface",
            "D365BC",
            "D365SP",
            "PowerApps",
        }
        assert await views.distinct_values("country") == ["DE", "FR", "GB", "US"]
        assert await views.signal_types() == [
            "cloud_migration",
            "cost_cutting",
            "funding",
            "hiring_tech",
        ]
        with pytest.raises(ValueError):
            await views.distinct_values("account_name; DROP TABLE customers")
    finally:
        await seeded.close()


async def test_filter_rejects_values_that_would_reach_sql_text() -> None:
    with pytest.raises(ValueError):
        CustomerFilter(month="2026-11", area="Azure') --")
    with pytest.raises(ValueError):
        CustomerFilter(month="2026-11", area="Azure", flag="x') OR 1=1 --")
    with pytest.raises(ValueError):
        CustomerFilter(month="2026-11", area="Azure", sort="account_name")


async def test_customer_detail_and_missing_customer(seeded: Store) -> None:
    views = SqliteViewQueries(seeded.db)
    try:
        detail = await views.customer("C001", None, 10)
        assert detail is not None
        assert detail.month == MONTHS[-1] and detail.months == list(reversed(MONTHS))
        assert [s.signal_type for s in detail.signals] == ["hiring_tech", "cloud_migration"]
        assert detail.signal_total == 2
        assert detail.flags == {"HasAzure": False, "HasM365": True}
        assert detail.cohorts == ["Azure_M365NoAzure", "M365_Copilot"]
        assert len(detail.history) == 2 * 7
        assert detail.signals[0].nearest_examples[0].label == "hiring_tech"
        assert await views.customer("nobody", None, 10) is None
        limited = await views.customer("C001", None, 1)
        assert limited is not None and len(limited.signals) == 1 and limited.signal_total == 2
    finally:
        await seeded.close()


@pytest.mark.parametrize(
    ("flt", "index"),
    [
        (CustomerFilter("2026-11", "Azure"), "propensity_ui_intent"),
        (CustomerFilter("2026-11", "Azure", sort="fit", descending=False), "propensity_ui_fit"),
        (CustomerFilter("2026-11", "M365", sort="revenue"), "customer_month_rev_m365"),
        (CustomerFilter("2026-11", "Azure", cell="A1"), "COVERING INDEX propensity_ui_intent"),
        (
            CustomerFilter("2026-11", "Azure", cluster="Act now", sort="fit"),
            "COVERING INDEX propensity_ui_fit",
        ),
        (CustomerFilter("2026-11", "Azure", cohort="M365_Copilot"), "propensity_ui_intent"),
    ],
)
async def test_first_page_walks_an_index_in_sort_order(store: Store, flt: CustomerFilter, index: str) -> None:
    # A competing plain index on month must not lure the planner into sorting everything.
    await store.db.execute("CREATE INDEX IF NOT EXISTS test_cm_month ON customer_month(month)")
    sql, params = _page_query(flt, 50, 0)
    picked = await subquery_plan(store, sql, params)
    assert index in picked, picked
    # Only the outer query (50 rows) may sort; the pick walks the index.
    assert "TEMP B-TREE" not in picked, picked


async def test_counts_read_indexes_only(store: Store) -> None:
    for flt in (
        CustomerFilter("2026-11", "Azure"),
        CustomerFilter("2026-11", "Azure", cell="B2"),
        CustomerFilter("2026-11", "Azure", cohort="M365_Copilot"),
    ):
        sql, params = _count_query(flt)
        text = await plan(store, sql, params)
        assert "COVERING INDEX" in text, text
        assert "SCAN p" not in text and "SCAN propensity" not in text, text


FILTERS = [
    {},
    {"cell": "A1"},
    {"cluster": "Act now"},
    {"industry": "Retail"},
    {"country": "US", "sub_segment": "Mid-Market"},
    {"cohort": "M365_Copilot"},
    {"flag": "HasM365", "country": "GB"},
    {"search": "o"},
    {"search": "wind", "cohort": "M365_Copilot"},
]


@pytest.mark.parametrize("filters", FILTERS)
async def test_both_plans_give_the_same_pages(seeded: Store, filters: dict[str, str]) -> None:
    """Walking the sort index and filtering first must list the same rows in the same order."""
    try:
        for sort in ("intent", "fit", "revenue"):
            for descending in (True, False):
                flt = CustomerFilter("2026-11", "Azure", sort=sort, descending=descending, **filters)
                pages: dict[bool, list[str]] = {}
                for walk in (True, False):
                    ids: list[str] = []
                    for offset in (0, 3, 6):
                        sql, params = _page_query(flt, 3, offset, walk=walk)
                        ids += [r["customer_id"] for r in await seeded.db.fetchall(sql, params)]
                    pages[walk] = ids
                assert pages[True] == pages[False], (flt, pages)
                count_sql, count_params = _count_query(flt)
                total = (await seeded.db.fetchone(count_sql, count_params))[0]  # type: ignore[index]
                assert len(pages[True]) == total
    finally:
        await seeded.close()


def test_plan_choice() -> None:
    flt = CustomerFilter("2026-11", "Azure", cohort="M365_Copilot")
    assert should_walk(flt, 0, 50, matches=19_000, base=100_000)  # first page of a broad filter
    assert not should_walk(flt, 15_000, 50, matches=19_000, base=100_000)  # a deep page
    narrow = CustomerFilter("2026-11", "Azure", search="Contoso")
    assert not should_walk(narrow, 0, 50, matches=11, base=100_000)
    assert should_walk(CustomerFilter("2026-11", "Azure", cell="A1"), 10**6, 50, 1, 100_000)


async def test_malformed_monthly_json_never_breaks_a_write_or_a_page(seeded: Store) -> None:
    """Cohorts, flags and revenue are JSON text; a malformed value is shown as empty."""
    try:
        await seeded.db.execute(
            "UPDATE customer_month SET potential_revenue = 'not json', flags = 'oops',"
            " cohorts = '[' WHERE customer_id = 'C002'"
        )
        views = SqliteViewQueries(seeded.db)
        for flt in (
            CustomerFilter("2026-11", "Azure", sort="revenue"),
            CustomerFilter("2026-11", "Azure", flag="HasM365"),
            CustomerFilter("2026-11", "Azure", cohort="M365_Copilot"),
        ):
            page = await views.customer_page(flt, 1, 50)
            rows = {r.customer_id: r for r in page.rows}
            if "C002" in rows:
                assert rows["C002"].potential_revenue is None and rows["C002"].cohorts == []
        csv_rows = [r async for r in views.iter_customers(CustomerFilter("2026-11", "Azure"), 100)]
        assert len(csv_rows) == 8
        detail = await views.customer("C002", None, 10)
        assert detail is not None and detail.flags == {} and detail.potential_revenue == {}
    finally:
        await seeded.close()


async def test_flag_filter_reads_compact_and_spaced_json(seeded: Store) -> None:
    try:
        await seeded.db.execute(
            'UPDATE customer_month SET flags = \'{"HasAzure":true,"HasM365":false}\''
            " WHERE customer_id = 'C001'"
        )
        await seeded.db.execute(
            'UPDATE customer_month SET flags = \'{"HasAzure": false, "HasAzureX": true}\''
            " WHERE customer_id = 'C003'"
        )
        views = SqliteViewQueries(seeded.db)
        page = await views.customer_page(CustomerFilter("2026-11", "Azure", flag="HasAzure"), 1, 50)
        assert sorted(r.customer_id for r in page.rows) == ["C001", "C007"]
        assert page.total == 2
    finally:
        await seeded.close()
