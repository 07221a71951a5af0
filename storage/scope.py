"""What one person may see: every customer, or only the customers of some partners.

A :class:`Scope` is made once per request from the signed-in user (or is :data:`EVERYTHING`
for the terminal and the single-user UI) and handed to the read models; each query adds
:meth:`Scope.condition` for its customer column, so the limit lives here and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scope:
    """``partners`` None: every partner; otherwise only customers whose PartnerID is listed
    (an empty set sees nothing)."""

    partners: frozenset[str] | None = None

    @classmethod
    def of_partners(cls, partners: Iterable[str]) -> Scope:
        return cls(frozenset(partners))

    @property
    def everything(self) -> bool:
        return self.partners is None

    @property
    def key(self) -> str:
        """A stable text naming the scope (cache keys, stored definitions)."""
        return "*" if self.partners is None else json.dumps(sorted(self.partners))

    def condition(self, customer_column: str) -> tuple[str, tuple[Any, ...]]:
        """A WHERE fragment limiting ``customer_column`` (a customer id) to this scope."""
        if self.partners is None:
            return "1 = 1", ()
        if not self.partners:
            return "1 = 0", ()
        marks = ", ".join("?" for _ in self.partners)
        return (
            f"{customer_column} IN (SELECT customer_id FROM customers WHERE partner_id IN ({marks}))",
            tuple(sorted(self.partners)),
        )

    def partner_condition(self, partner_column: str) -> tuple[str, tuple[Any, ...]]:
        """The same limit on a table that carries the PartnerID itself (``customers``)."""
        if self.partners is None:
            return "1 = 1", ()
        if not self.partners:
            return "1 = 0", ()
        marks = ", ".join("?" for _ in self.partners)
        return f"{partner_column} IN ({marks})", tuple(sorted(self.partners))

    def within(self, other: Scope) -> Scope:
        """What both scopes allow."""
        if self.partners is None:
            return other
        if other.partners is None:
            return self
        return Scope(self.partners & other.partners)

    def covers(self, other: Scope) -> bool:
        """Whether everything ``other`` allows, this scope allows too."""
        if self.partners is None:
            return True
        return other.partners is not None and other.partners <= self.partners

    def to_text(self) -> str | None:
        """How a stored definition keeps it (None: every partner)."""
        return None if self.partners is None else json.dumps(sorted(self.partners))

    @classmethod
    def from_text(cls, text: str | None) -> Scope:
        if text is None:
            return EVERYTHING
        try:
            value = json.loads(text)
        except ValueError:
            return NOTHING  # a damaged stored scope shows nothing rather than everything
        if not isinstance(value, list):
            return NOTHING
        return cls(frozenset(str(p) for p in value))


EVERYTHING = Scope()
NOTHING = Scope(frozenset())
