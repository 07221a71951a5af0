"""A scored month read in slices of customers, for reports built with flat memory.

Each slice is a run of customers in ``customer_id`` order and the month's rows of exactly
those customers (propensity of the areas asked for, flags and cohorts, contributions,
agreements), so building a report holds one slice at a time however many customers there are.
Slices hold only the customers of their :class:`~storage.scope.Scope` (a viewer's report,
their partners' rows).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from storage.customers import Agreement, Customer
from storage.protocols import SqlDatabase
from storage.scope import EVERYTHING, Scope
from storage.scores import CustomerMonth, PropensityRow


@dataclass(frozen=True)
class Slice:
    customers: list[Customer]
    propensity: dict[str, dict[str, PropensityRow]]
    customer_month: dict[str, CustomerMonth]
    contributions: dict[tuple[str, str], list[dict[str, Any]]]
    agreements: list[Agreement]


_CUSTOMER_FIELDS = (
    "customer_id, account_name, domain, org_size, industry, vertical, city, state, postal_code, country,"
    " is_nonprofit, azure_monthly_revenue, partner_id, partner_name, sub_segment"
)


def _positional_customer(row: tuple[Any, ...]) -> Customer:
    """A customer from the columns of ``_CUSTOMER_FIELDS``: a slice builds one per customer
    and month, and positional arguments cost a third of building it through a dict."""
    (cid, name, domain, size, industry, vertical, city, state, postal, country, nonprofit, revenue,
     partner_id, partner_name, sub_segment) = row  # fmt: skip
    return Customer(
        cid, name, domain, size, industry, vertical, city, state, postal, country, bool(nonprofit),
        revenue, partner_id, partner_name, sub_segment,
    )  # fmt: skip


class MonthSlices(Protocol):
    async def scored_months(self) -> list[str]: ...
    async def customer_ids_after(self, after: str, limit: int) -> list[str]: ...
    async def customer_count(self) -> int: ...
    async def agreement_count(self) -> int: ...
    async def slice(
        self, month: str, first: str, last: str, areas: Sequence[str], with_contributions: bool
    ) -> Slice: ...


class SqliteMonthSlices:
    """The month's rows are looked up by primary key, one customer of the slice after the
    other: ``customer_id IN (the slice's ids)`` with ``area`` and ``month`` given makes every
    key column an equality, so neither every month's rows of a customer are scanned (as a
    range over ``customer_id`` alone would) nor a month-wide UI index is preferred."""

    def __init__(self, db: SqlDatabase, scope: Scope = EVERYTHING):
        self.db = db
        self.scope = scope

    async def scored_months(self) -> list[str]:
        rows = await self.db.fetchall("SELECT DISTINCT month FROM customer_month ORDER BY month")
        return [str(r[0]) for r in rows]

    async def customer_ids_after(self, after: str, limit: int) -> list[str]:
        visible, visible_params = self.scope.partner_condition("partner_id")
        rows = await self.db.fetchall(
            f"SELECT customer_id FROM customers WHERE customer_id > ? AND {visible}"
            " ORDER BY customer_id LIMIT ?",
            (after, *visible_params, limit),
        )
        return [str(r[0]) for r in rows]

    async def customer_count(self) -> int:
        own, own_params = self.scope.partner_condition("partner_id")
        rows = await self.db.fetchall(f"SELECT COUNT(*) FROM customers WHERE {own}", own_params)
        return int(rows[0][0])

    async def agreement_count(self) -> int:
        visible, visible_params = self.scope.condition("customer_id")
        rows = await self.db.fetchall(f"SELECT COUNT(*) FROM agreements WHERE {visible}", visible_params)
        return int(rows[0][0])

    async def slice(
        self, month: str, first: str, last: str, areas: Sequence[str], with_contributions: bool
    ) -> Slice:
        # Every query below is limited to the scope's customers, not only the customer list:
        # an agreement or score of another partner's customer never reaches a report.
        own, own_params = self.scope.partner_condition("partner_id")
        visible, visible_params = self.scope.condition("customer_id")
        bounds = (first, last, *own_params)
        in_slice = (
            "customer_id IN (SELECT customer_id FROM customers"
            f" WHERE customer_id >= ? AND customer_id <= ? AND {own})"
        )
        customers = [
            _positional_customer(tuple(r))
            for r in await self.db.fetchall(
                f"SELECT {_CUSTOMER_FIELDS} FROM customers"
                f" WHERE customer_id >= ? AND customer_id <= ? AND {own} ORDER BY customer_id",
                bounds,
            )
        ]
        propensity: dict[str, dict[str, PropensityRow]] = {}
        marks = ", ".join("?" for _ in areas)
        for r in await self.db.fetchall(
            "SELECT customer_id, area, fit, intent, cell, cluster FROM propensity"
            f" WHERE {in_slice} AND area IN ({marks}) AND month = ?",
            (*bounds, *areas, month),
        ):
            propensity.setdefault(r[0], {})[r[1]] = PropensityRow(
                r[0], r[1], float(r[2]), float(r[3]), r[4], r[5]
            )
        # A report explains rows from the contributions, never from top_signals: left unread.
        customer_month = {
            r[0]: CustomerMonth(r[0], json.loads(r[1]), json.loads(r[2]), json.loads(r[3]), [], {})
            for r in await self.db.fetchall(
                "SELECT customer_id, flags, cohorts, potential_revenue FROM customer_month"
                f" WHERE {in_slice} AND month = ?",
                (*bounds, month),
            )
        }
        contributions: dict[tuple[str, str], list[dict[str, Any]]] = {}
        if with_contributions:
            for r in await self.db.fetchall(
                "SELECT customer_id, area, contributions FROM intent_scores"
                f" WHERE {in_slice} AND area IN ({marks}) AND month = ?",
                (*bounds, *areas, month),
            ):
                contributions[(r[0], r[1])] = json.loads(r[2])
        agreements = [
            Agreement(**dict(r))
            for r in await self.db.fetchall(
                f"SELECT * FROM agreements WHERE customer_id >= ? AND customer_id <= ? AND {visible}"
                " ORDER BY agreement_id",
                (first, last, *visible_params),
            )
        ]
        return Slice(customers, propensity, customer_month, contributions, agreements)
