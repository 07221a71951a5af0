"""Reading a matched CRM file (the output of ``ascent match``) for a report: the CRM's own id
per ascent customer, so a downloaded report carries the partner's ids.

The file is the CRM's rows plus ``ascent_customer_id``, ``match_method``, ``match_score`` and
``match_candidates``. The CRM id column is named by the caller or is the file's first column.
Problems are reported as ``file:line: column: problem``, and any problem refuses the file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from intent.report_definition import ReportInputError

MATCH_COLUMNS = ("ascent_customer_id", "match_method", "match_score", "match_candidates")
MAX_BYTES = 200 * 1024 * 1024
MAX_ID_CHARS = 200


def read_matched_crm(path: Path, id_column: str | None = None) -> tuple[str, dict[str, str]]:
    """(CRM id column, {ascent customer id: CRM id}); several CRM rows of one customer are
    joined with " | " so none is lost."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ReportInputError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ReportInputError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ReportInputError(f"{path}:1: not valid UTF-8 (byte {exc.start}); save it as UTF-8") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    names = next(reader, None)
    if not names:
        raise ReportInputError(f"{path}:1: the file is empty")
    names = [n.strip() for n in names]
    if "ascent_customer_id" not in names:
        raise ReportInputError(
            f"{path}:1: ascent_customer_id: missing; pass a file written by `ascent match`"
        )
    column = id_column or names[0]
    if column not in names or column in MATCH_COLUMNS:
        raise ReportInputError(f"{path}:1: {column}: not a CRM column of the file")
    at, customer_at = names.index(column), names.index("ascent_customer_id")
    found: dict[str, list[str]] = {}
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        if len(row) != len(names):
            problems.append(f"{path}:{line}: (row): {len(row)} fields, the header has {len(names)}")
            continue
        crm_id, customer = row[at].strip(), row[customer_at].strip()
        if len(crm_id) > MAX_ID_CHARS or any(ord(ch) < 0x20 for ch in crm_id):
            problems.append(f"{path}:{line}: {column}: too long or holds control characters")
        elif customer and crm_id:
            found.setdefault(customer, []).append(crm_id)
    if problems:
        raise ReportInputError("\n".join(problems[:20]))
    return column, {customer: " | ".join(ids) for customer, ids in found.items()}
