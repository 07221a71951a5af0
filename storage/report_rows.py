"""A scored month read in slices of customers, for reports built with flat memory.

Each slice is a run of customers in ``customer_id`` order and the month's rows of exactly
those customers (propensity, flags and cohorts, contributions, agreements), so building a
report holds one slice at a time however many customers there are. Slices hold only the
customers of their :class:`~storage.scope.Scope` (a viewer's report, their partners' rows).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from storage.customers import Agreement, Customer, _customer
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


class MonthSlices(Protocol):
    async def scored_months(self) -> list[str]: ...
    async def customer_ids_after(self, after: str, limit: int) -> list[str]: ...
    async def slice(self, month: str, first: str, last: str, with_contributions: bool) -> Slice: ...


class SqliteMonthSlices:
    """The queries range over the primary keys (which lead with ``customer_id``); the
    ``month || ''`` keeps SQLite from preferring a month-wide index for them."""

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

    async def slice(self, month: str, first: str, last: str, with_contributions: bool) -> Slice:
        # Every query below is limited to the scope's customers, not only the customer list:
        # an agreement or score of another partner's customer never reaches a report.
        own, own_params = self.scope.partner_condition("partner_id")
        visible, visible_params = self.scope.condition("customer_id")
        bounds = (first, last)
        customers = [
            _customer(r)
            for r in await self.db.fetchall(
                f"SELECT * FROM customers WHERE customer_id >= ? AND customer_id <= ? AND {own}"
                " ORDER BY customer_id",
                (*bounds, *own_params),
            )
        ]
        propensity: dict[str, dict[str, PropensityRow]] = {}
        for r in await self.db.fetchall(
            "SELECT customer_id, area, fit, intent, cell, cluster FROM propensity"
            f" WHERE customer_id >= ? AND customer_id <= ? AND month || '' = ? AND {visible}",
            (*bounds, month, *visible_params),
        ):
            propensity.setdefault(r[0], {})[r[1]] = PropensityRow(
                r[0], r[1], float(r[2]), float(r[3]), r[4], r[5]
            )
        customer_month = {
            r[0]: CustomerMonth(
                r[0], json.loads(r[1]), json.loads(r[2]), json.loads(r[3]), json.loads(r[4]), {}
            )
            for r in await self.db.fetchall(
                "SELECT customer_id, flags, cohorts, potential_revenue, top_signals FROM customer_month"
                f" WHERE customer_id >= ? AND customer_id <= ? AND month || '' = ? AND {visible}",
                (*bounds, month, *visible_params),
            )
        }
        contributions: dict[tuple[str, str], list[dict[str, Any]]] = {}
        if with_contributions:
            for r in await self.db.fetchall(
                "SELECT customer_id, area, contributions FROM intent_scores"
                f" WHERE customer_id >= ? AND customer_id <= ? AND month || '' = ? AND {visible}",
                (*bounds, month, *visible_params),
            ):
                contributions[(r[0], r[1])] = json.loads(r[2])
        agreements = [
            Agreement(**dict(r))
            for r in await self.db.fetchall(
                f"SELECT * FROM agreements WHERE customer_id >= ? AND customer_id <= ? AND {visible}"
                " ORDER BY agreement_id",
                (*bounds, *visible_params),
            )
        ]
        return Slice(customers, propensity, customer_month, contributions, agreements)
