"""One CRM matching pass, as the command line and the UI run it: read, match, tabulate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from intent.crm_file import CrmFile, matched_table, read_crm, render_matched, row_keys
from intent.matching import DEFAULT_FUZZY_THRESHOLD, CustomerIndex, Known, Match, Matcher, Summary, match_all
from storage.customers import Customer


@dataclass
class CrmMatch:
    crm: CrmFile
    matches: list[Match]
    summary: Summary
    header: list[str]
    rows: list[list[object]]

    def csv_bytes(self, bom: bool = False) -> bytes:
        return render_matched(self.header, self.rows, bom=bom)


def known(customers: Iterable[Customer]) -> list[Known]:
    return [Known(c.customer_id, c.account_name, c.domain) for c in customers]


def match_crm(
    name: str,
    data: bytes,
    customers: Iterable[Customer],
    *,
    mapping: Mapping[str, str] | None = None,
    threshold: float = DEFAULT_FUZZY_THRESHOLD,
    max_bytes: int | None = None,
) -> CrmMatch:
    """Read a CRM export (CrmFileError when unusable) and match every row to ascent's customers."""
    crm = (
        read_crm(name, data, mapping)
        if max_bytes is None
        else read_crm(name, data, mapping, max_bytes=max_bytes)
    )
    matcher = Matcher(CustomerIndex(known(customers)), threshold)
    matches, summary = match_all(matcher, row_keys(crm))
    header, rows = matched_table(crm, matches)
    return CrmMatch(crm, matches, summary, header, rows)
