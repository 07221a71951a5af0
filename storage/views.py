"""Read models of the analyst web UI: matrix counts, the customer list, a customer, the feed.

Every query here is read-only and runs on a reader connection, and every one that reads
customers is limited to the :class:`~storage.scope.Scope` the queries were made with (a
viewer's partners), so a page cannot show, count or download a customer outside it. The
customer list is built so
that sorting and paging walk an index (see migration 0006) rather than sorting every customer
of a month: the list stays fast at 100,000 customers.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from storage.customers import Customer, _customer
from storage.dialect import SQLITE, SqlDialect
from storage.protocols import SqlDatabase
from storage.scope import EVERYTHING, Scope

SORT_KEYS = ("intent", "fit", "revenue")
# Names that are interpolated into SQL (JSON paths) must be plain identifiers.
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class CustomerFilter:
    """What the customer list shows: one month and area, optional filters, a sort order."""

    month: str
    area: str
    cluster: str | None = None
    cell: str | None = None
    sub_segment: str | None = None
    industry: str | None = None
    country: str | None = None
    cohort: str | None = None
    flag: str | None = None
    search: str | None = None
    sort: str = "intent"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.sort not in SORT_KEYS:
            raise ValueError(f"unknown sort key {self.sort!r}; known: {', '.join(SORT_KEYS)}")
        if not _IDENTIFIER.match(self.area):
            raise ValueError(f"invalid area {self.area!r}")
        if self.flag is not None and not _IDENTIFIER.match(self.flag):
            raise ValueError(f"invalid flag {self.flag!r}")


@dataclass(frozen=True)
class MatrixCell:
    cell: str
    cluster: str
    fit_band: str
    intent_band: str
    count: int


@dataclass(frozen=True)
class CustomerRow:
    customer_id: str
    account_name: str
    domain: str
    industry: str
    country: str
    sub_segment: str
    org_size: int
    area: str
    month: str
    fit: float
    fit_band: str
    intent: float
    intent_band: str
    cell: str
    cluster: str
    potential_revenue: float | None
    cohorts: list[str]


@dataclass(frozen=True)
class CustomerPage:
    rows: list[CustomerRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class NearestExample:
    text: str
    label: str
    similarity: float | None


@dataclass(frozen=True)
class SignalView:
    signal_id: int
    customer_id: str
    account_name: str
    domain: str
    signal_type: str
    family: str
    polarity: int
    confidence: float
    areas: list[str]
    passage: str
    key_phrase: str
    url: str
    source_kind: str
    published: str | None
    detected_at: float
    why_now: str
    nearest_examples: list[NearestExample]


@dataclass(frozen=True)
class PropensityPoint:
    area: str
    month: str
    fit: float
    fit_band: str
    intent: float
    intent_band: str
    cell: str
    cluster: str


@dataclass(frozen=True)
class TechnologyView:
    technology: str
    category: str
    method: str
    evidence: str
    first_seen_at: float
    last_seen_at: float


@dataclass(frozen=True)
class ProductView:
    product: str
    quantity: int
    purchase_date: str | None
    status: str


@dataclass(frozen=True)
class FitView:
    area: str
    quarter: str
    score: float
    method: str


@dataclass(frozen=True)
class IntentView:
    area: str
    month: str
    score: float
    band: str
    surge: float
    breadth: int
    contributions: list[Any]


@dataclass(frozen=True)
class CustomerDetail:
    firmographics: dict[str, Any]
    products: list[ProductView]
    technologies: list[TechnologyView]
    history: list[PropensityPoint]
    fit_scores: list[FitView]
    intent: list[IntentView]
    flags: dict[str, bool]
    cohorts: list[str]
    potential_revenue: dict[str, float]
    top_signals: list[Any]
    signals: list[SignalView]
    signal_total: int
    month: str | None = None
    months: list[str] = field(default_factory=list)
    flag_evidence: dict[str, list[str]] = field(default_factory=dict)


class ViewQueries(Protocol):
    def within(self, scope: Scope) -> ViewQueries: ...
    async def customers(self) -> list[Customer]: ...
    async def months(self) -> list[str]: ...
    async def areas(self, month: str) -> list[str]: ...
    async def matrix(self, month: str, area: str) -> list[MatrixCell]: ...
    async def distinct_values(self, column: str) -> list[str]: ...
    async def signal_types(self) -> list[str]: ...
    async def count_customers(self, flt: CustomerFilter) -> int: ...
    async def customer_page(
        self, flt: CustomerFilter, page: int, page_size: int, total: int | None = None
    ) -> CustomerPage: ...
    def iter_customers(self, flt: CustomerFilter, limit: int) -> AsyncIterator[CustomerRow]: ...
    async def customer(
        self, customer_id: str, month: str | None, signal_limit: int, latest: str | None = None
    ) -> CustomerDetail | None: ...
    async def signal_feed(
        self, signal_type: str | None, area: str | None, limit: int, offset: int
    ) -> list[SignalView]: ...


_FACET_COLUMNS = ("sub_segment", "industry", "country")


class SqliteViewQueries:
    """The UI's read queries over SQLite (and PostgreSQL), limited to ``scope``."""

    def __init__(self, db: SqlDatabase, scope: Scope = EVERYTHING):
        self.db = db
        self.scope = scope

    def within(self, scope: Scope) -> SqliteViewQueries:
        """The same queries limited to ``scope`` (what one signed-in person may see)."""
        return SqliteViewQueries(self.db, scope)

    async def customers(self) -> list[Customer]:
        """Every customer of the scope, in id order (CRM matching lines a file up with them)."""
        visible, visible_params = self.scope.partner_condition("partner_id")
        rows = await self.db.fetchall(
            f"SELECT * FROM customers WHERE {visible} ORDER BY customer_id", visible_params
        )
        return [_customer(r) for r in rows]

    async def months(self) -> list[str]:
        """Months that have propensity rows, newest first (a skip-scan over the index)."""
        found: list[str] = []
        row = await self.db.fetchone("SELECT MAX(month) FROM propensity")
        while row is not None and row[0] is not None and len(found) < 240:
            found.append(str(row[0]))
            row = await self.db.fetchone("SELECT MAX(month) FROM propensity WHERE month < ?", (row[0],))
        return found

    async def areas(self, month: str) -> list[str]:
        found: list[str] = []
        row = await self.db.fetchone("SELECT MIN(area) FROM propensity WHERE month = ?", (month,))
        while row is not None and row[0] is not None and len(found) < 64:
            found.append(str(row[0]))
            row = await self.db.fetchone(
                "SELECT MIN(area) FROM propensity WHERE month = ? AND area > ?", (month, row[0])
            )
        return found

    async def matrix(self, month: str, area: str) -> list[MatrixCell]:
        """Counts per cell; bands and cluster of each cell come from the rows themselves."""
        visible, visible_params = self.scope.condition("customer_id")
        counts = await self.db.fetchall(
            f"SELECT cell, COUNT(*) FROM propensity WHERE month = ? AND area = ? AND {visible} GROUP BY cell",
            (month, area, *visible_params),
        )
        cells: list[MatrixCell] = []
        for cell, count in counts:
            sample = await self.db.fetchone(
                "SELECT cluster, fit_band, intent_band FROM propensity"
                " WHERE month = ? AND area = ? AND cell = ? LIMIT 1",
                (month, area, cell),
            )
            if sample is None:
                continue
            cells.append(MatrixCell(str(cell), str(sample[0]), str(sample[1]), str(sample[2]), int(count)))
        return cells

    async def distinct_values(self, column: str) -> list[str]:
        """Distinct non-empty values of a customer column offered as a filter (skip-scan)."""
        if column not in _FACET_COLUMNS:
            raise ValueError(f"not a filterable column: {column!r}")
        visible, visible_params = self.scope.partner_condition("partner_id")
        found: list[str] = []
        row = await self.db.fetchone(
            f"SELECT MIN({column}) FROM customers WHERE {column} > '' AND {visible}", visible_params
        )
        while row is not None and row[0] is not None and len(found) < 500:
            found.append(str(row[0]))
            row = await self.db.fetchone(
                f"SELECT MIN({column}) FROM customers WHERE {column} > ? AND {visible}",
                (row[0], *visible_params),
            )
        return found

    async def signal_types(self) -> list[str]:
        visible, visible_params = self.scope.condition("customer_id")
        found: list[str] = []
        row = await self.db.fetchone(f"SELECT MIN(signal_type) FROM signals WHERE {visible}", visible_params)
        while row is not None and row[0] is not None and len(found) < 200:
            found.append(str(row[0]))
            row = await self.db.fetchone(
                f"SELECT MIN(signal_type) FROM signals WHERE signal_type > ? AND {visible}",
                (row[0], *visible_params),
            )
        return found

    async def count_customers(self, flt: CustomerFilter) -> int:
        """How many customers the filtered list holds (sort order aside)."""
        count_sql, count_params = _count_query(flt, self.db.dialect, self.scope)
        total_row = await self.db.fetchone(count_sql, count_params)
        return int(total_row[0]) if total_row else 0

    async def customer_page(
        self, flt: CustomerFilter, page: int, page_size: int, total: int | None = None
    ) -> CustomerPage:
        """One page of the list and the number of matches (which also picks the plan).

        ``total``: the count from :meth:`count_customers` when the caller already has it.
        """
        page = max(1, page)
        offset = (page - 1) * page_size
        if total is None:
            total = await self.count_customers(flt)
        if offset >= total:
            return CustomerPage([], total, page, page_size)
        walk = True
        if _filters(flt)[2] or _filters(flt)[3]:  # filters outside propensity: pick a plan
            base_row = await self.db.fetchone(
                "SELECT COUNT(*) FROM propensity WHERE month = ? AND area = ?",
                (flt.month, flt.area),
            )
            base = int(base_row[0]) if base_row else total
            walk = should_walk(flt, offset, page_size, total, base)
        sql, params = _page_query(
            flt, page_size, offset, walk=walk, dialect=self.db.dialect, scope=self.scope
        )
        rows = await self.db.fetchall(sql, params)
        return CustomerPage([_customer_row(r, flt) for r in rows], total, page, page_size)

    async def iter_customers(self, flt: CustomerFilter, limit: int) -> AsyncIterator[CustomerRow]:
        """Every row of the filtered list (up to limit), streamed in batches for the CSV."""
        sql, params = _list_query(flt, self.db.dialect, self.scope)
        async with self.db.reader() as conn:
            cursor = await conn.execute(sql + " LIMIT ?", (*params, limit))
            try:
                while True:
                    batch = await cursor.fetchmany(1000)
                    if not batch:
                        break
                    for row in batch:
                        yield _customer_row(row, flt)
            finally:
                await cursor.close()

    async def customer(
        self, customer_id: str, month: str | None, signal_limit: int, latest: str | None = None
    ) -> CustomerDetail | None:
        """One customer's page; without ``month``, its newest scored month up to ``latest``."""
        visible, visible_params = self.scope.partner_condition("partner_id")
        firm = await self.db.fetchone(
            f"SELECT * FROM customers WHERE customer_id = ? AND {visible}", (customer_id, *visible_params)
        )
        if firm is None:  # unknown, or another partner's: the same answer
            return None
        products = [
            ProductView(r["product"], int(r["quantity"]), r["purchase_date"], r["status"])
            for r in await self.db.fetchall(
                "SELECT * FROM products WHERE customer_id = ? ORDER BY product", (customer_id,)
            )
        ]
        technologies = [
            TechnologyView(
                r["technology"],
                r["category"],
                r["method"],
                r["evidence"],
                float(r["first_seen_at"]),
                float(r["last_seen_at"]),
            )
            for r in await self.db.fetchall(
                "SELECT * FROM technologies WHERE customer_id = ? ORDER BY technology, method LIMIT 500",
                (customer_id,),
            )
        ]
        history = [
            PropensityPoint(
                r["area"],
                r["month"],
                float(r["fit"]),
                r["fit_band"],
                float(r["intent"]),
                r["intent_band"],
                r["cell"],
                r["cluster"],
            )
            for r in await self.db.fetchall(
                "SELECT * FROM propensity WHERE customer_id = ? ORDER BY area, month",
                (customer_id,),
            )
        ]
        months = sorted({p.month for p in history}, reverse=True)
        if month is None:
            month = next((m for m in months if latest is None or m <= latest), None)
        fit_scores = [
            FitView(r["area"], r["quarter"], float(r["score"]), r["method"])
            for r in await self.db.fetchall(
                "SELECT area, quarter, score, method FROM fit_scores WHERE customer_id = ?"
                " ORDER BY area, quarter",
                (customer_id,),
            )
        ]
        intent = [
            IntentView(
                r["area"],
                r["month"],
                float(r["score"]),
                r["band"],
                float(r["surge"]),
                int(r["breadth"]),
                _json_list(r["contributions"]),
            )
            for r in await self.db.fetchall(
                "SELECT * FROM intent_scores WHERE customer_id = ? AND month = ? ORDER BY area",
                (customer_id, month or ""),
            )
        ]
        cm = await self.db.fetchone(
            "SELECT * FROM customer_month WHERE customer_id = ? AND month = ?",
            (customer_id, month or ""),
        )
        flags = {str(k): bool(v) for k, v in _json_dict(cm["flags"] if cm else "{}").items()}
        revenue = {
            str(k): float(v)
            for k, v in _json_dict(cm["potential_revenue"] if cm else "{}").items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        signal_rows = await self.db.fetchall(
            _SIGNAL_SELECT + " WHERE s.customer_id = ?"
            " ORDER BY s.published IS NULL, s.published DESC, s.signal_id DESC LIMIT ?",
            (customer_id, signal_limit),
        )
        total_row = await self.db.fetchone(
            "SELECT COUNT(*) FROM signals WHERE customer_id = ?", (customer_id,)
        )
        return CustomerDetail(
            firmographics=dict(firm),
            products=products,
            technologies=technologies,
            history=history,
            fit_scores=fit_scores,
            intent=intent,
            flags=flags,
            cohorts=[str(c) for c in _json_list(cm["cohorts"] if cm else "[]")],
            potential_revenue=revenue,
            top_signals=_json_list(cm["top_signals"] if cm else "[]"),
            signals=[_signal(r) for r in signal_rows],
            signal_total=int(total_row[0]) if total_row else 0,
            month=month,
            months=months,
            flag_evidence=_evidence(cm),
        )

    async def signal_feed(
        self, signal_type: str | None, area: str | None, limit: int, offset: int
    ) -> list[SignalView]:
        """Latest signals across customers (newest published first)."""
        visible, visible_params = self.scope.partner_condition("c.partner_id")
        where: list[str] = [visible]
        params: list[Any] = [*visible_params]
        if signal_type:
            where.append("s.signal_type = ?")
            params.append(signal_type)
        if area:
            where.append(f"s.areas {self.db.dialect.like} ? ESCAPE '\\'")
            params.append('%"' + _like_escape(area) + '"%')
        sql = _SIGNAL_SELECT + " WHERE " + " AND ".join(where)
        sql += " ORDER BY s.published DESC, s.signal_id DESC LIMIT ? OFFSET ?"
        rows = await self.db.fetchall(sql, [*params, limit, max(0, offset)])
        return [_signal(r) for r in rows]


_SIGNAL_SELECT = (
    "SELECT s.*, c.account_name AS account_name, c.domain AS domain"
    " FROM signals s JOIN customers c ON c.customer_id = s.customer_id"
)

_LIST_COLUMNS = (
    "c.customer_id, c.account_name, c.domain, c.industry, c.country, c.sub_segment, c.org_size,"
    " p.fit, p.fit_band, p.intent, p.intent_band, p.cell, p.cluster,"
    " {revenue} AS revenue, cm.cohorts AS cohorts_json"
)


def _list_columns(flt: CustomerFilter) -> str:
    # The area's revenue is read by SQLite; only the cohorts list is decoded in Python.
    return _LIST_COLUMNS.format(revenue=_revenue_expr(flt.area))


def _revenue_expr(area: str) -> str:
    # Same text as the expression indexes of migration 0006, so SQLite can use them.
    return (
        f"CASE WHEN json_valid(cm.potential_revenue) THEN json_extract(cm.potential_revenue, '$.{area}') END"
    )


def _filters(
    flt: CustomerFilter, dialect: SqlDialect = SQLITE, scope: Scope = EVERYTHING
) -> tuple[list[str], list[Any], bool, bool]:
    """WHERE clauses and parameters; whether customers / customer_month must be joined."""
    where = ["p.month = ?", "p.area = ?"]
    params: list[Any] = [flt.month, flt.area]
    if not scope.everything:
        visible, visible_params = scope.condition("p.customer_id")
        where.append(visible)
        params += visible_params
    needs_customer = needs_month = False
    if flt.cell:
        where.append("p.cell = ?")
        params.append(flt.cell)
    if flt.cluster:
        where.append("p.cluster = ?")
        params.append(flt.cluster)
    for column in _FACET_COLUMNS:
        value = getattr(flt, column)
        if value:
            where.append(f"c.{column} = ?")
            params.append(value)
            needs_customer = True
    if flt.search:
        like = dialect.like
        where.append(f"(c.account_name {like} ? ESCAPE '\\' OR c.domain {like} ? ESCAPE '\\')")
        pattern = "%" + _like_escape(flt.search) + "%"
        params += [pattern, pattern]
        needs_customer = True
    if flt.cohort:
        where.append(f"cm.cohorts {dialect.like} ? ESCAPE '\\'")
        params.append('%"' + _like_escape(flt.cohort) + '"%')
        needs_month = True
    if flt.flag:
        # Flags are a JSON object of booleans; matching the key and value as text costs no
        # JSON parse per row and cannot fail on a malformed value (which then matches nothing).
        where.append("(instr(cm.flags, ?) > 0 OR instr(cm.flags, ?) > 0)")
        params += [f'"{flt.flag}": true', f'"{flt.flag}":true']
        needs_month = True
    return where, params, needs_customer, needs_month


# Areas with a potential-revenue expression index in migration 0006.
_REVENUE_INDEXES = {
    "Azure": "customer_month_rev_azure",
    "M365": "customer_month_rev_m365",
    "Security": "customer_month_rev_security",
    "Surface": "customer_month_rev_surface",
    "D365BC": "customer_month_rev_d365bc",
    "D365SP": "customer_month_rev_d365sp",
    "PowerApps": "customer_month_rev_powerapps",
}


def _sort_expr(flt: CustomerFilter) -> str:
    direction = "DESC" if flt.descending else "ASC"
    if flt.sort == "revenue":
        return f"{_revenue_expr(flt.area)} {direction}, cm.customer_id {direction}"
    column = "p.intent" if flt.sort == "intent" else "p.fit"
    return f"{column} {direction}, p.customer_id {direction}"


def _list_query(flt: CustomerFilter, dialect: SqlDialect, scope: Scope = EVERYTHING) -> tuple[str, list[Any]]:
    """Every row of the filtered list in order (the CSV); pages use :func:`_page_query`."""
    return _order_query(flt, _list_columns(flt), dialect, detailed=True, scope=scope)


def _order_query(
    flt: CustomerFilter,
    columns: str,
    dialect: SqlDialect,
    *,
    detailed: bool,
    walk: bool = True,
    scope: Scope = EVERYTHING,
) -> tuple[str, list[Any]]:
    """The filtered list in sort order.

    ``walk``: follow an index in the sort order and check each row against the filters,
    stopping after one page (best when the filters match a fair share of customers);
    otherwise find the matching rows first through the filters' own indexes and sort them
    (best for narrow filters and deep pages). ``detailed`` selects every display column
    (the CSV); without it only the ids are picked (a page).
    """
    where, params, needs_customer, needs_month = _filters(flt, dialect, scope)
    join, hint = dialect.fixed_join, dialect.index_hint
    if flt.sort == "revenue" and (walk or detailed):
        # Walk customer_month in revenue order (its expression index, named so that other
        # indexes on month cannot lure the planner into sorting every row), then look each
        # row up. Customers without a monthly row have no revenue and are left out.
        index = _REVENUE_INDEXES.get(flt.area)
        sql = (
            f"SELECT {columns} FROM customer_month cm{hint(index) if index else ''}"
            f" {join} propensity p ON p.customer_id = cm.customer_id AND p.month = cm.month"
        )
        if detailed or needs_customer:
            sql += " JOIN customers c ON c.customer_id = p.customer_id"
        sql += f" WHERE cm.month = ? AND {' AND '.join(where)} ORDER BY {_sort_expr(flt)}"
        return sql, [flt.month, *params]
    if detailed:
        sql = (
            f"SELECT {columns} FROM propensity p"
            " JOIN customers c ON c.customer_id = p.customer_id"
            " LEFT JOIN customer_month cm ON cm.customer_id = p.customer_id"
            " AND cm.month = p.month"
        )
    elif walk:
        # Named, because walking this index in sort order is the point of the plan.
        index = "propensity_ui_intent" if flt.sort == "intent" else "propensity_ui_fit"
        sql = f"SELECT {columns} FROM propensity p{hint(index)}"
        if needs_customer:
            sql += f" {join} customers c ON c.customer_id = p.customer_id"
        if needs_month:
            sql += (
                f" {join} customer_month cm{hint('customer_month_ui_labels')}"
                " ON cm.customer_id = p.customer_id AND cm.month = p.month"
            )
    elif flt.search:
        # Scan the narrow name/domain index, then look up the few matches.
        sql = (
            f"SELECT {columns} FROM customers c{hint('customers_ui_search')}"
            f" {join} propensity p ON p.customer_id = c.customer_id"
            " LEFT JOIN customer_month cm ON cm.customer_id = p.customer_id"
            " AND cm.month = p.month"
        )
    elif needs_month:
        # Read cohorts and flags from their covering index, then look up the matches.
        sql = (
            f"SELECT {columns} FROM customer_month cm{hint('customer_month_ui_labels')}"
            f" {join} propensity p ON p.customer_id = cm.customer_id AND p.month = cm.month"
        )
        if needs_customer:
            sql += " JOIN customers c ON c.customer_id = p.customer_id"
    else:
        # Sub-segment, industry or country: their indexes find the customers.
        sql = (
            f"SELECT {columns} FROM customers c"
            f" {join} propensity p ON p.customer_id = c.customer_id"
            " LEFT JOIN customer_month cm ON cm.customer_id = p.customer_id"
            " AND cm.month = p.month"
        )
    sql += f" WHERE {' AND '.join(where)} ORDER BY {_sort_expr(flt)}"
    return sql, params


def _page_query(
    flt: CustomerFilter,
    limit: int,
    offset: int,
    *,
    walk: bool = True,
    dialect: SqlDialect = SQLITE,
    scope: Scope = EVERYTHING,
) -> tuple[str, list[Any]]:
    """One page: pick the ids through the narrowest join (deep pages skip index entries, not
    joined rows), then fetch the details of just those rows and sort them the same way."""
    pick, pick_params = _order_query(flt, "p.customer_id", dialect, detailed=False, walk=walk, scope=scope)
    sql = (
        f"SELECT {_list_columns(flt)} FROM propensity p"
        " JOIN customers c ON c.customer_id = p.customer_id"
        " LEFT JOIN customer_month cm ON cm.customer_id = p.customer_id AND cm.month = p.month"
        f" WHERE p.month = ? AND p.area = ? AND p.customer_id IN ({pick} LIMIT ? OFFSET ?)"
        f" ORDER BY {_sort_expr(flt)}"
    )
    return sql, [flt.month, flt.area, *pick_params, limit, offset]


def should_walk(flt: CustomerFilter, offset: int, limit: int, matches: int, base: int) -> bool:
    """Whether walking the sort index is cheaper than filtering first and sorting.

    Walking reads about (offset + limit) * base / matches rows; filtering first reads the
    matches (twice: lookup and sort) plus, for cohort, flag and name filters, a scan of a
    narrow index over all ``base`` customers of the area.
    """
    _, _, needs_customer, needs_month = _filters(flt)
    if not (needs_customer or needs_month):
        return True  # cell and cluster filters have their own sorted indexes
    walked = (offset + limit) * base / max(1, matches)
    scan = base // 20 if (needs_month or flt.search) else 0
    return walked <= 2 * matches + scan


def _count_query(
    flt: CustomerFilter, dialect: SqlDialect = SQLITE, scope: Scope = EVERYTHING
) -> tuple[str, list[Any]]:
    where, params, needs_customer, needs_month = _filters(flt, dialect, scope)
    join, hint = dialect.fixed_join, dialect.index_hint
    if flt.search:
        sql = (
            f"SELECT COUNT(*) FROM customers c{hint('customers_ui_search')}"
            f" {join} propensity p ON p.customer_id = c.customer_id"
        )
        if needs_month:
            sql += " JOIN customer_month cm ON cm.customer_id = p.customer_id AND cm.month = p.month"
        return sql + " WHERE " + " AND ".join(where), params
    if needs_month:
        # The monthly labels (cohorts, flags) are read from their covering index, then each
        # match is checked against propensity: no wide row is read.
        sql = (
            f"SELECT COUNT(*) FROM customer_month cm{hint('customer_month_ui_labels')}"
            f" {join} propensity p ON p.customer_id = cm.customer_id AND p.month = cm.month"
        )
        where = ["cm.month = ?", *where]
        params = [flt.month, *params]
    else:
        sql = "SELECT COUNT(*) FROM propensity p"
    if needs_customer:
        sql += " JOIN customers c ON c.customer_id = p.customer_id"
    return sql + " WHERE " + " AND ".join(where), params


def _customer_row(row: Any, flt: CustomerFilter) -> CustomerRow:
    revenue = row["revenue"]
    return CustomerRow(
        customer_id=row["customer_id"],
        account_name=row["account_name"],
        domain=row["domain"],
        industry=row["industry"],
        country=row["country"],
        sub_segment=row["sub_segment"],
        org_size=int(row["org_size"]),
        area=flt.area,
        month=flt.month,
        fit=float(row["fit"]),
        fit_band=row["fit_band"],
        intent=float(row["intent"]),
        intent_band=row["intent_band"],
        cell=row["cell"],
        cluster=row["cluster"],
        potential_revenue=float(revenue)
        if isinstance(revenue, int | float) and not isinstance(revenue, bool)
        else None,
        cohorts=[str(c) for c in _json_list(row["cohorts_json"] or "[]")],
    )


def _signal(row: Any) -> SignalView:
    examples: list[NearestExample] = []
    for item in _json_list(row["nearest_examples"])[:20]:
        if isinstance(item, dict):
            similarity = item.get("similarity")
            examples.append(
                NearestExample(
                    str(item.get("text", "")),
                    str(item.get("label", "")),
                    float(similarity)
                    if isinstance(similarity, int | float) and not isinstance(similarity, bool)
                    else None,
                )
            )
    return SignalView(
        signal_id=int(row["signal_id"]),
        customer_id=row["customer_id"],
        account_name=row["account_name"],
        domain=row["domain"],
        signal_type=row["signal_type"],
        family=row["family"],
        polarity=int(row["polarity"]),
        confidence=float(row["confidence"]),
        areas=[str(a) for a in _json_list(row["areas"])],
        passage=row["passage"],
        key_phrase=row["key_phrase"],
        url=row["url"],
        source_kind=row["source_kind"],
        published=row["published"],
        detected_at=float(row["detected_at"]),
        why_now=row["why_now"],
        nearest_examples=examples,
    )


def _evidence(cm: Any) -> dict[str, list[str]]:
    """Why each flag is Yes, as short texts (the monthly run may not record it)."""
    # A sqlite3.Row tests membership against its values, so ask its keys.
    if cm is None or "flag_evidence" not in cm.keys():  # noqa: SIM118
        return {}
    found: dict[str, list[str]] = {}
    for flag, value in _json_dict(cm["flag_evidence"]).items():
        items = value if isinstance(value, list) else [value]
        texts = [
            ", ".join(f"{k}: {v}" for k, v in item.items()) if isinstance(item, dict) else str(item)
            for item in items[:10]
        ]
        found[str(flag)] = [t for t in texts if t]
    return found


def _json_list(text: str | None) -> list[Any]:
    try:
        value = json.loads(text or "[]")
    except (TypeError, ValueError):
        return []
    return value if isinstance(value, list) else []


def _json_dict(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
