"""A partner's CRM export: read it, refuse it whole when it is unusable, find its key columns.

The file is hostile until validated: it must be UTF-8 CSV (a BOM is allowed), with a header of
distinct names, every row as wide as the header, within the size limits. Every problem is
reported as ``file:line: column: problem`` and the file is refused as a whole, so a partner
fixes it in one go and never gets half a match.

Columns are recognised by the names CRMs usually give them (``Website``, ``Email``,
``Account Name``, ``TPID`` …), compared without case, spaces or punctuation; ``--map
ROLE=COLUMN`` names a column for a role explicitly.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from common.errors import InputError
from intent.matching import Keys, Match
from intent.reports import neutralise

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_FIELD_CHARS = 2_000
MAX_ERRORS = 50  # a broken file reports this many problems, then how many more it had

# The columns a matched file adds after the CRM's own ones.
OUTPUT_COLUMNS: tuple[str, ...] = ("ascent_customer_id", "match_method", "match_score", "match_candidates")

ROLES: tuple[str, ...] = ("domain", "email", "name", "id")
# Per role, the usual header names (compared by their letters and digits only), best first.
ROLE_HEADERS: dict[str, tuple[str, ...]] = {
    "domain": (
        "domain",
        "website",
        "websiteurl",
        "web",
        "webaddress",
        "webpage",
        "homepage",
        "url",
        "companydomain",
        "accountdomain",
        "companywebsite",
        "accountwebsite",
        "site",
        "www",
    ),
    "email": (
        "email",
        "emailaddress",
        "mail",
        "contactemail",
        "primaryemail",
        "primarycontactemail",
        "workemail",
        "businessemail",
    ),
    "name": (
        "accountname",
        "companyname",
        "customername",
        "organizationname",
        "organisationname",
        "businessname",
        "legalname",
        "company",
        "account",
        "organization",
        "organisation",
        "customer",
        "name",
    ),
    "id": (
        "customerid",
        "tpid",
        "mstpid",
        "microsofttpid",
        "accountnumber",
        "customernumber",
        "accountid",
    ),
}


class CrmFileError(InputError):
    """The CRM file is unusable; ``problems`` lists every ``file:line: column: problem``."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class CrmColumns:
    """Which CRM column (by position) plays which role; a role may be missing."""

    positions: dict[str, int] = field(default_factory=dict)

    def value(self, role: str, row: Sequence[str]) -> str:
        position = self.positions.get(role)
        return "" if position is None else row[position].strip()


@dataclass
class CrmFile:
    name: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]  # the line each row starts on, for messages
    columns: CrmColumns


def header_key(name: str) -> str:
    """'E-mail Address' -> 'emailaddress': how a header is compared with the usual names."""
    return re.sub(r"[\W_]+", "", name.casefold())


def parse_mapping(items: Iterable[str]) -> dict[str, str]:
    """``["name=Firma"]`` -> ``{"name": "Firma"}``; InputError on an unknown role or bad form."""
    mapping: dict[str, str] = {}
    for item in items:
        role, sep, column = item.partition("=")
        role = role.strip().lower()
        if not sep or not column.strip():
            raise InputError(f"--map {item!r}: expected ROLE=COLUMN, e.g. name='Account Name'")
        if role not in ROLES:
            raise InputError(f"--map {item!r}: role must be one of {', '.join(ROLES)}")
        if role in mapping:
            raise InputError(f"--map: role {role} is given twice")
        mapping[role] = column.strip()
    return mapping


def read_crm(
    name: str,
    data: bytes,
    mapping: Mapping[str, str] | None = None,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
) -> CrmFile:
    """Validate and read a whole CRM export; CrmFileError with every problem otherwise."""
    if len(data) > max_bytes:
        raise CrmFileError([f"{name}:1: file: {len(data)} bytes, larger than the limit of {max_bytes}"])
    text = _decoded(name, data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[str] = []
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise CrmFileError([f"{name}:1: header: not a CSV header ({exc})"]) from None
    if not header or not any(cell.strip() for cell in header):
        raise CrmFileError([f"{name}:1: header: the file is empty or has no header"])
    _check_header(name, header, problems)
    columns = _columns(name, header, mapping or {}, problems)
    rows, lines = _rows(name, reader, len(header), max_rows, problems)
    if problems:
        raise CrmFileError(_capped(problems))
    return CrmFile(name, header, rows, lines, columns)


def _decoded(name: str, data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise CrmFileError([f"{name}:1: file: not a CSV file (binary content)"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CrmFileError(
            [f"{name}:{line}: file: not UTF-8 (byte 0x{data[exc.start]:02x}); save the export as CSV UTF-8"]
        ) from None
    return text.removeprefix("\ufeff")


def _check_header(name: str, header: list[str], problems: list[str]) -> None:
    seen: dict[str, int] = {}
    for position, raw in enumerate(header, start=1):
        label = raw.strip()
        if not label:
            problems.append(f"{name}:1: column {position}: the header has no name")
            continue
        if len(label) > MAX_FIELD_CHARS:
            problems.append(f"{name}:1: column {position}: header longer than {MAX_FIELD_CHARS} characters")
            continue
        if label.casefold() in seen:
            problems.append(f"{name}:1: {label}: duplicated column (also column {seen[label.casefold()]})")
        seen.setdefault(label.casefold(), position)
        if label in OUTPUT_COLUMNS:
            problems.append(f"{name}:1: {label}: the file already has this column (was it matched before?)")


def _columns(name: str, header: list[str], mapping: Mapping[str, str], problems: list[str]) -> CrmColumns:
    by_label = {label.strip().casefold(): position for position, label in enumerate(header)}
    positions: dict[str, int] = {}
    for role, column in mapping.items():
        found = by_label.get(column.casefold())
        if found is None:
            problems.append(f"{name}:1: {column}: no such column (--map {role}={column})")
        else:
            positions[role] = found
    keys = [header_key(label) for label in header]
    taken = set(positions.values())
    for role in ROLES:
        if role in positions or role in mapping:
            continue
        for usual in ROLE_HEADERS[role]:
            if usual in keys and keys.index(usual) not in taken:
                positions[role] = keys.index(usual)
                taken.add(positions[role])
                break
    if not positions and not problems:
        usual = ", ".join(h for role in ROLES for h in ROLE_HEADERS[role][:2])
        problems.append(
            f"{name}:1: header: no recognisable column for domain, e-mail, account name or customer ID "
            f"(usual names: {usual}; or name one with --map ROLE=COLUMN)"
        )
    return CrmColumns(positions)


def _rows(
    name: str, reader: Any, width: int, max_rows: int, problems: list[str]
) -> tuple[list[list[str]], list[int]]:
    rows: list[list[str]] = []
    lines: list[int] = []
    line = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"{name}:{line}: row: not valid CSV ({exc})")
            break
        start, line = line, reader.line_num + 1
        if not row or (len(row) == 1 and not row[0].strip() and width > 1):
            continue  # blank lines carry no customer
        if len(rows) >= max_rows:
            problems.append(f"{name}:{start}: row: more than {max_rows} rows")
            break
        if len(row) != width:
            problems.append(f"{name}:{start}: row: {len(row)} fields, the header has {width}")
            continue
        long = next((i for i, cell in enumerate(row) if len(cell) > MAX_FIELD_CHARS), None)
        if long is not None:
            problems.append(f"{name}:{start}: column {long + 1}: longer than {MAX_FIELD_CHARS} characters")
            continue
        rows.append(row)
        lines.append(start)
    return rows, lines


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_ERRORS:
        return problems
    return [*problems[:MAX_ERRORS], f"… and {len(problems) - MAX_ERRORS} more problems"]


def render_matched(header: Sequence[str], rows: Iterable[Sequence[object]], bom: bool = False) -> bytes:
    """The matched file: CSV, UTF-8, every text cell (header too) guarded against formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def row_keys(crm: CrmFile) -> list[Keys]:
    """What matching reads from each row: the values of the recognised columns."""
    columns = crm.columns
    return [
        Keys(
            domain=columns.value("domain", row),
            email=columns.value("email", row),
            name=columns.value("name", row),
            customer_id=columns.value("id", row),
        )
        for row in crm.rows
    ]


def matched_table(crm: CrmFile, matches: Sequence[Match]) -> tuple[list[str], list[list[object]]]:
    """The CRM's own columns, in order, followed by the four match columns."""
    header = [*crm.header, *OUTPUT_COLUMNS]
    rows = [[*row, *found.cells()] for row, found in zip(crm.rows, matches, strict=True)]
    return header, rows
