"""CSV imports (SPEC §2): validate every row, then hand over all records or none.

Each file kind is described by a table of columns with a parser per column. Problems are
collected for every row as ``file:line: column: problem`` so a user can fix a file in one go.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from common.errors import InputError
from common.vocabulary import AREAS
from intent.domains import DomainError, normalise_domain
from intent.import_spool import ImportSpool
from intent.vocabulary import products
from storage.customers import Agreement, Customer, FitScore, ImportRecord, Outcome, Product

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_FIELD_CHARS = 500
# A row holds at most a few dozen fields of MAX_FIELD_CHARS: a longer physical line is not a
# row, and reading it whole would make memory grow with the file again.
MAX_LINE_BYTES = 1_000_000
KINDS = ("customers", "products", "agreements", "fit", "outcomes")


class Problem(InputError):
    """One column of one row is unusable."""


@dataclass
class ImportResult:
    kind: str
    records: list[ImportRecord] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    referenced_customers: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors


Parser = Callable[[str], Any]


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f]")  # control characters but tab


def text(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_FIELD_CHARS:
        raise Problem(f"longer than {MAX_FIELD_CHARS} characters")
    if _CONTROL.search(value):
        raise Problem("contains control characters")
    return value


def required(value: str) -> str:
    value = text(value)
    if not value:
        raise Problem("is required")
    return value


_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")


def key(value: str) -> str:
    value = required(value)
    if not _KEY.match(value):
        raise Problem(f"{value!r} is not a valid identifier (letters, digits, . _ : / -, max 64)")
    return value


def whole(minimum: int, maximum: int) -> Parser:
    def parse(value: str) -> int:
        value = required(value).replace(",", "").replace("_", "")
        try:
            number = int(value)
        except ValueError:
            raise Problem(f"{value!r} is not a whole number") from None
        if not minimum <= number <= maximum:
            raise Problem(f"{number} is outside {minimum}..{maximum}")
        return number

    return parse


def amount(minimum: float = 0.0, maximum: float = 1e12, default: float | None = 0.0) -> Parser:
    def parse(value: str) -> float:
        value = text(value).replace(",", "").lstrip("$")
        if not value:
            if default is None:
                raise Problem("is required")
            return default
        try:
            number = float(value)
        except ValueError:
            raise Problem(f"{value!r} is not a number") from None
        if number != number or not minimum <= number <= maximum:
            raise Problem(f"{number} is outside {minimum:g}..{maximum:g}")
        return number

    return parse


def iso_date(optional: bool = False) -> Parser:
    def parse(value: str) -> str | None:
        value = text(value)
        if not value:
            if optional:
                return None
            raise Problem("is required (YYYY-MM-DD)")
        try:
            if len(value) != 10:
                raise ValueError(value)
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise Problem(f"{value!r} is not a date (YYYY-MM-DD)") from None

    return parse


def choice(options: Iterable[str], *, lower: bool = True) -> Parser:
    allowed = list(options)
    lookup = {o.lower() if lower else o: o for o in allowed}

    def parse(value: str) -> str:
        value = required(value)
        found = lookup.get(value.lower() if lower else value)
        if found is None:
            raise Problem(f"{value!r} is not one of: {', '.join(allowed)}")
        return found

    return parse


def yes_no(value: str) -> bool:
    value = text(value).lower()
    if value in {"yes", "y", "true", "1"}:
        return True
    if value in {"no", "n", "false", "0", ""}:
        return False
    raise Problem(f"{value!r} is not yes or no")


def domain(value: str) -> str:
    try:
        return normalise_domain(required(value))
    except DomainError as exc:
        raise Problem(f"{value.strip()!r} {exc}") from None


_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)


def quarter(value: str) -> str:
    value = required(value)
    match = _QUARTER.match(value)
    if not match:
        raise Problem(f"{value!r} is not a quarter like 2026Q4")
    return f"{match.group(1)}Q{match.group(2)}"


def product_name(value: str) -> str:
    return choice(sorted(products()), lower=True)(value)


@dataclass(frozen=True)
class Column:
    header: str
    attribute: str
    parse: Parser
    optional: bool = False


@dataclass(frozen=True)
class FileKind:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    build: Callable[[dict[str, Any]], ImportRecord]


def _customer(values: dict[str, Any]) -> Customer:
    return Customer(sub_segment=sub_segment(values["org_size"], values["azure_monthly_revenue"]), **values)


def sub_segment(org_size: int, azure_monthly_revenue: float) -> str:
    """Upper Medium: 300+ employees or ACR > 1000/month; Medium: 25-299; Small: 1-24."""
    if org_size >= 300 or azure_monthly_revenue > 1000:
        return "Upper Medium"
    if org_size >= 25:
        return "Medium"
    return "Small"


FILE_KINDS: dict[str, FileKind] = {
    "customers": FileKind(
        "customers",
        (
            Column("CustomerID", "customer_id", key),
            Column("AccountName", "account_name", required),
            Column("Domain", "domain", domain),
            Column("OrgSize", "org_size", whole(1, 10_000_000)),
            Column("Industry", "industry", text, True),
            Column("Vertical", "vertical", text, True),
            Column("City", "city", text, True),
            Column("State", "state", text, True),
            Column("PostalCode", "postal_code", text, True),
            Column("Country", "country", text, True),
            Column("IsNonprofit", "is_nonprofit", yes_no, True),
            Column("AzureMonthlyRevenue", "azure_monthly_revenue", amount(), True),
            Column("PartnerID", "partner_id", text, True),
            Column("PartnerName", "partner_name", text, True),
        ),
        ("customer_id",),
        _customer,
    ),
    "products": FileKind(
        "products",
        (
            Column("CustomerID", "customer_id", key),
            Column("Product", "product", product_name),
            Column("Quantity", "quantity", whole(0, 10_000_000)),
            Column("PurchaseDate", "purchase_date", iso_date(optional=True), True),
            Column("Status", "status", choice(["active", "expired"])),
        ),
        ("customer_id", "product"),
        lambda v: Product(**v),
    ),
    "agreements": FileKind(
        "agreements",
        (
            Column("CustomerID", "customer_id", key),
            Column("AgreementID", "agreement_id", key),
            Column("LicenseProgram", "license_program", text, True),
            Column("AgreementEndDate", "agreement_end_date", iso_date()),
            Column("RevSumDivisionName", "rev_sum_division_name", text, True),
            Column("ExpiringRevenue", "expiring_revenue", amount(), True),
        ),
        ("agreement_id",),
        lambda v: Agreement(**v),
    ),
    "fit": FileKind(
        "fit",
        (
            Column("CustomerID", "customer_id", key),
            Column("Area", "area", choice(AREAS)),
            Column("Score", "score", amount(0, 100, default=None)),
            Column("Quarter", "quarter", quarter),
        ),
        ("customer_id", "area", "quarter"),
        lambda v: FitScore(**v),
    ),
    "outcomes": FileKind(
        "outcomes",
        (
            Column("OpportunityID", "opportunity_id", key),
            Column("CustomerID", "customer_id", key),
            Column("Area", "area", choice(AREAS)),
            Column("CreatedDate", "created_date", iso_date()),
            Column("ClosedDate", "closed_date", iso_date(optional=True), True),
            Column("Outcome", "outcome", choice(["won", "lost", "open"])),
            Column("Revenue", "revenue", amount(), True),
        ),
        ("opportunity_id",),
        lambda v: Outcome(**v),
    ),
}


def parse_file(kind: str, path: Path) -> ImportResult:
    """Read and validate a whole CSV file into memory; never raises for bad content."""
    result = ImportResult(kind)
    with ImportSpool() as seen:
        for line, record in scan_file(kind, path, result, seen):
            _keep(result, line, record)
    return result


def parse_text(kind: str, name: str, content: str, result: ImportResult | None = None) -> ImportResult:
    result = result or ImportResult(kind)
    with ImportSpool() as seen:
        for line, record in scan_rows(kind, name, io.StringIO(content, newline=""), result, seen):
            _keep(result, line, record)
    return result


def _keep(result: ImportResult, line: int, record: ImportRecord) -> None:
    result.records.append(record)
    result.lines.append(line)
    if result.kind != "customers":
        result.referenced_customers.add(getattr(record, "customer_id", ""))


def scan_file(
    kind: str, path: Path, result: ImportResult, seen: ImportSpool
) -> Iterator[tuple[int, ImportRecord]]:
    """Stream the valid rows of a CSV file as (line, record); problems go to ``result.errors``.

    Memory stays flat in the file's size: the file is read line by line and keys seen so far
    live on disk in ``seen``.
    """
    return scan_rows(kind, str(path), _decoded_lines(path, str(path), result), result, seen)


def _decoded_lines(path: Path, name: str, result: ImportResult) -> Iterator[str]:
    """The file's lines as text, UTF-8 (an optional BOM dropped); a bad byte stops with its line."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            result.errors.append(f"{name}:0: file: larger than {MAX_FILE_BYTES} bytes")
            return
        handle = path.open("rb")
    except OSError as exc:
        result.errors.append(f"{name}:0: file: cannot read: {exc.strerror}")
        return
    offset = 0
    with handle:
        for number, raw in enumerate(iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""), start=1):
            if len(raw) > MAX_LINE_BYTES:
                result.errors.append(f"{name}:{number}: file: line longer than {MAX_LINE_BYTES} bytes")
                return
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                skipped = 3 if number == 1 and raw.startswith(b"\xef\xbb\xbf") else 0
                result.errors.append(
                    f"{name}:{number}: file: not valid UTF-8 (byte {offset + exc.start + skipped})"
                )
                return
            if "\x00" in text:
                result.errors.append(f"{name}:{number}: file: contains a NUL byte")
                return
            offset += len(raw)
            yield text


def scan_rows(
    kind: str, name: str, lines: Iterable[str], result: ImportResult, seen: ImportSpool
) -> Iterator[tuple[int, ImportRecord]]:
    """Validate rows one by one, yielding each valid one as (line, record)."""
    spec = FILE_KINDS[kind]
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        if not result.errors:
            result.errors.append(f"{name}:1: header: the file is empty")
        return
    except csv.Error as exc:
        result.errors.append(f"{name}:1: header: {exc}")
        return
    positions = _header_positions(spec, name, header, result)
    if positions is None:
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            result.errors.append(f"{name}:{reader.line_num}: row: {exc}")
            return
        found = _row_record(spec, name, reader.line_num, row, len(header), positions, result, seen)
        if found is not None:
            yield reader.line_num, found


def _header_positions(
    spec: FileKind, name: str, header: list[str], result: ImportResult
) -> dict[str, int] | None:
    """Column name -> position; None (with the problems in ``result``) when unusable."""
    positions: dict[str, int] = {}
    for position, raw in enumerate(header):
        column = raw.strip()
        if column and column in positions:
            first = positions[column] + 1
            problem = f"column appears twice (columns {first} and {position + 1})"
            result.errors.append(f"{name}:1: {column}: {problem}")
        positions.setdefault(column, position)
    missing = [c.header for c in spec.columns if c.header not in positions and not c.optional]
    for header_name in missing:
        result.errors.append(f"{name}:1: {header_name}: required column is missing")
    known = {c.header for c in spec.columns}
    for extra in (h for h in positions if h not in known):
        result.warnings.append(f"{name}:1: {extra!r}: unknown column ignored")
    return None if result.errors else positions


def _row_record(
    spec: FileKind,
    name: str,
    line: int,
    row: list[str],
    width: int,
    positions: dict[str, int],
    result: ImportResult,
    seen: ImportSpool,
) -> ImportRecord | None:
    if not any(cell.strip() for cell in row):
        return None
    if len(row) > width:
        result.errors.append(f"{name}:{line}: row: {len(row)} fields, header has {width}")
        return None
    values: dict[str, Any] = {}
    for column in spec.columns:
        position = positions.get(column.header)
        cell = row[position] if position is not None and position < len(row) else ""
        try:
            values[column.attribute] = column.parse(cell)
        except Problem as exc:
            result.errors.append(f"{name}:{line}: {column.header}: {exc}")
    if len(values) != len(spec.columns):
        return None
    # A customer's row remembers its domain, so a stored customer moved to another one is known.
    earlier = seen.first("key", [values[k] for k in spec.key], line, values.get("domain", ""))
    if earlier is not None:
        result.errors.append(
            f"{name}:{line}: {'+'.join(_header(spec, k) for k in spec.key)}: duplicate of line {earlier[0]}"
        )
        return None
    if spec.name == "customers" and _shared_domain(name, line, values, result, seen):
        return None
    return spec.build(values)


def _shared_domain(
    name: str, line: int, values: dict[str, Any], result: ImportResult, seen: ImportSpool
) -> bool:
    """One customer per registrable domain: a second customer on a domain is refused."""
    earlier = seen.first("domain", values["domain"], line, values["customer_id"])
    if earlier is None:
        return False
    result.errors.append(
        f"{name}:{line}: Domain: {values['domain']!r} is already the domain of CustomerID "
        f"{earlier[1]!r} on line {earlier[0]}; one customer per registrable domain"
    )
    return True


def _header(spec: FileKind, attribute: str) -> str:
    return next(c.header for c in spec.columns if c.attribute == attribute)


def unknown_customer_errors(result: ImportResult, name: str, known: set[str]) -> list[str]:
    """Rows that name a customer the database does not have (products, fit, outcomes...)."""
    return unknown_customers_in(zip(result.lines, result.records, strict=True), name, known)


def unknown_customers_in(rows: Iterable[tuple[int, ImportRecord]], name: str, known: set[str]) -> list[str]:
    """Of (line, record) pairs, those naming a customer not in ``known``, as problems."""
    errors = []
    for line, record in rows:
        customer_id = getattr(record, "customer_id", None)
        if customer_id is not None and customer_id not in known:
            errors.append(f"{name}:{line}: CustomerID: {customer_id!r} is not an imported customer")
    return errors
