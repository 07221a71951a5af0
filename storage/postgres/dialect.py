"""Translate the repositories' SQLite SQL to PostgreSQL, so the SQL is written once.

Only small, safe rewrites live here; a statement that needs a different shape in PostgreSQL
belongs in a PostgreSQL subclass of its repository instead. String literals, quoted
identifiers and comments are masked before any rewrite, so nothing inside them changes.

Rewrites of statements (``translate``):

- ``?`` placeholders become ``%s``; every literal ``%`` is doubled (psycopg parses them all);
- ``INSERT OR IGNORE`` becomes ``INSERT … ON CONFLICT DO NOTHING``;
- ``INSERT OR REPLACE`` becomes ``INSERT … ON CONFLICT (key) DO UPDATE`` of every column
  (the key of each such table is listed in ``REPLACE_KEYS``);
- ``a IS b`` / ``a IS NOT b`` (b not NULL/TRUE/FALSE) become ``IS [NOT] DISTINCT FROM``;
- the scalar ``MAX(a, b)`` / ``MIN(a, b)`` become ``GREATEST`` / ``LEAST`` (both ignore a NULL
  argument where SQLite returns NULL; no repository passes one);
- ``GROUP_CONCAT(x[, sep])`` becomes ``STRING_AGG(x::text, sep)``, ``IFNULL`` ``COALESCE``,
  ``date(x, 'unixepoch')`` a UTC ``YYYY-MM-DD`` text;
- a subquery in FROM without a name gets one (PostgreSQL 15 requires it);
- ``LIKE`` is ``ILIKE`` (SQLite's LIKE ignores case);
- SQLite's index hints (``INDEXED BY``, ``NOT INDEXED``) are dropped, and
  ``CROSS JOIN t ON …`` (SQLite's fixed join order) is a plain ``JOIN``: the planner chooses;
- ``CASE WHEN ? THEN`` (an integer used as a truth value) compares the value with 0;
- ``PRAGMA table_info(t)`` reads ``information_schema``; every other PRAGMA is a no-op query.

``json_valid``, ``json_extract`` (numeric ``$.key`` paths) and ``instr`` are SQL functions of
the same name created by :data:`COMPAT_FUNCTIONS`, so expression indexes need no rewrite.

Rewrites of migrations (``translate_ddl``), on top of the above: ``INTEGER PRIMARY KEY`` is an
identity column, ``INTEGER`` is ``BIGINT``, ``REAL`` is ``DOUBLE PRECISION``, ``BLOB`` is
``BYTEA`` and every ``TEXT`` column compares bytewise (``COLLATE "C"``, SQLite's order).
"""

from __future__ import annotations

import re
from functools import lru_cache

# Tables written with INSERT OR REPLACE, and the unique key a replaced row collides on (on
# PostgreSQL the customer-owned tables' keys include customer_id: migration 0007).
REPLACE_KEYS: dict[str, tuple[str, ...]] = {
    "signals": ("passage_id", "signal_type", "customer_id"),
    "embeddings": ("passage_hash", "model"),
    "passages": ("document_id", "position", "customer_id"),
    "technologies": ("customer_id", "technology", "method", "evidence"),
    "hosts": ("host",),
    "jobs": ("name",),
}

# Tables whose integer primary key an INSERT reports as ``cursor.lastrowid``.
ROWID_COLUMNS: dict[str, str] = {
    "sources": "source_id",
    "fetch_log": "fetch_id",
    "documents": "document_id",
    "passages": "passage_id",
    "signals": "signal_id",
    "runs": "run_id",
}

COMPAT_FUNCTIONS = (
    """CREATE OR REPLACE FUNCTION json_valid(doc text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    BEGIN
        IF doc IS NULL THEN RETURN NULL; END IF;
        PERFORM doc::jsonb;
        RETURN true;
    EXCEPTION WHEN others THEN
        RETURN false;
    END $$""",
    """CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE
        value jsonb;
    BEGIN
        IF doc IS NULL OR path IS NULL OR left(path, 2) <> '$.' THEN RETURN NULL; END IF;
        value := doc::jsonb -> substr(path, 3);
        IF value IS NULL OR jsonb_typeof(value) <> 'number' THEN RETURN NULL; END IF;
        RETURN value::text::double precision;
    EXCEPTION WHEN others THEN
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION instr(haystack text, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT strpos(haystack, needle) $$""",
)

_MASK = "\x00{}\x00"
_MASKED = re.compile("\x00(\\d+)\x00")
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)


class UntranslatableSql(ValueError):
    """A statement uses SQLite SQL that has no safe PostgreSQL rewrite here."""


def _mask(sql: str) -> tuple[str, list[str]]:
    """Replace literals and quoted identifiers with markers and drop comments."""
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("--") or token.startswith("/*"):
            return " "
        kept.append(token)
        return _MASK.format(len(kept) - 1)

    return _TOKEN.sub(keep, sql), kept


def _unmask(sql: str, kept: list[str]) -> str:
    return _MASKED.sub(lambda m: kept[int(m.group(1))].replace("%", "%%"), sql)


def _split_args(text: str) -> list[str]:
    """Top-level comma-separated arguments of a call's inside."""
    args, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            args.append(text[start:i])
            start = i + 1
    args.append(text[start:])
    return [a.strip() for a in args]


def _closing(sql: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise UntranslatableSql(f"unbalanced parentheses: {sql[:200]}")


_CALL = re.compile(r"\b(MAX|MIN|GROUP_CONCAT|IFNULL|date)\s*\(", re.IGNORECASE)


def _rewrite_calls(sql: str, kept: list[str]) -> str:
    """Rewrite SQLite-only function calls, innermost arguments included."""
    out, pos = [], 0
    for match in _CALL.finditer(sql):
        if match.start() < pos:
            continue
        open_at = match.end() - 1
        close_at = _closing(sql, open_at)
        args = [_rewrite_calls(a, kept) for a in _split_args(sql[open_at + 1 : close_at])]
        name = match.group(1).upper()
        replacement = None
        if name in ("MAX", "MIN") and len(args) >= 2:
            replacement = f"{'GREATEST' if name == 'MAX' else 'LEAST'}({', '.join(args)})"
        elif name == "GROUP_CONCAT":
            separator = args[1] if len(args) > 1 else "','"
            replacement = f"STRING_AGG(({args[0]})::text, {separator})"
        elif name == "IFNULL":
            replacement = f"COALESCE({', '.join(args)})"
        elif name == "DATE" and len(args) == 2 and _literal(args[1], kept) == "'unixepoch'":
            replacement = f"to_char(to_timestamp({args[0]}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        if replacement is None:
            inner = _rewrite_calls(sql[open_at + 1 : close_at], kept)
            replacement = f"{match.group(1)}({inner})"
        out.append(sql[pos : match.start()])
        out.append(replacement)
        pos = close_at + 1
    out.append(sql[pos:])
    return "".join(out)


def _literal(arg: str, kept: list[str]) -> str | None:
    found = _MASKED.fullmatch(arg.strip())
    return kept[int(found.group(1))].lower() if found else None


_IS_NOT = re.compile(r"\bIS\s+NOT\s+(?!NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.IGNORECASE)
_IS = re.compile(r"\bIS\s+(?!NOT\b|NULL\b|TRUE\b|FALSE\b|DISTINCT\b|JSON\b)", re.IGNORECASE)
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_OR_REPLACE = re.compile(r"^\s*INSERT\s+OR\s+REPLACE\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)
_PRAGMA = re.compile(r"^\s*PRAGMA\b", re.IGNORECASE)
_TABLE_INFO = re.compile(r"^\s*PRAGMA\s+table_info\s*\(\s*(\w+)\s*\)\s*;?\s*$", re.IGNORECASE)
_INDEX_HINT = re.compile(r"\b(?:INDEXED\s+BY\s+\w+|NOT\s+INDEXED)\b", re.IGNORECASE)
_CROSS_JOIN_ON = re.compile(r"\bCROSS\s+JOIN\s+(\w+(?:\s+(?!ON\b)\w+)?)\s+ON\b", re.IGNORECASE)
_LIKE = re.compile(r"\bLIKE\b", re.IGNORECASE)
_WHEN_PARAM = re.compile(r"\bWHEN\s+\?\s+THEN\b", re.IGNORECASE)


def _before_returning(sql: str, clause: str) -> str:
    found = _RETURNING.search(sql)
    if found is None:
        return f"{sql.rstrip().rstrip(';')} {clause}"
    return f"{sql[: found.start()].rstrip()} {clause} {sql[found.start() :]}"


def _pragma(sql: str) -> str:
    table = _TABLE_INFO.match(sql)
    if table is None:
        return "SELECT 1 WHERE false"
    return (
        "SELECT ordinal_position - 1 AS cid, column_name AS name, data_type AS type,"
        " CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS notnull,"
        " column_default AS dflt_value, 0 AS pk FROM information_schema.columns"
        f" WHERE table_schema = current_schema() AND table_name = '{table.group(1).lower()}'"
        " ORDER BY ordinal_position"
    )


@lru_cache(maxsize=4096)
def translate(sql: str) -> str:
    """The PostgreSQL form of one SQLite statement (placeholders as ``%s``)."""
    if _PRAGMA.match(sql):
        return _pragma(sql)
    masked, kept = _mask(sql)
    masked = masked.replace("%", "%%")
    if _OR_IGNORE.match(masked):
        masked = _before_returning(_OR_IGNORE.sub("INSERT INTO", masked, count=1), "ON CONFLICT DO NOTHING")
    replace = _OR_REPLACE.match(masked)
    if replace:
        table = replace.group(1).lower()
        if table not in REPLACE_KEYS:
            raise UntranslatableSql(f"INSERT OR REPLACE into {table}: no conflict key known")
        key = REPLACE_KEYS[table]
        columns = [c.strip() for c in replace.group(2).split(",") if c.strip()]
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        masked = re.sub(r"^\s*INSERT\s+OR\s+REPLACE", "INSERT", masked, count=1, flags=re.IGNORECASE)
        masked = _before_returning(masked, f"ON CONFLICT ({', '.join(key)}) {action}")
    masked = _INDEX_HINT.sub(" ", masked)
    masked = _CROSS_JOIN_ON.sub(r"JOIN \1 ON", masked)
    masked = _LIKE.sub("ILIKE", masked)
    masked = _IS_NOT.sub("IS DISTINCT FROM ", masked)
    masked = _IS.sub("IS NOT DISTINCT FROM ", masked)
    masked = _rewrite_calls(masked, kept)
    masked = _qualify_upsert(masked)
    masked = _alias_subqueries(masked)
    masked = _WHEN_PARAM.sub("WHEN (?)::int <> 0 THEN", masked)
    masked = masked.replace("?", "%s")
    return _unmask(masked, kept)


_UPSERT = re.compile(r"\bDO\s+UPDATE\s+SET\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"\b(WHERE|RETURNING)\b", re.IGNORECASE)
_IDENT = re.compile(r"(?<![.\w])([A-Za-z_]\w*)\b(?!\s*[.(])")
_KEYWORDS = frozenset(
    [
        "case",
        "when",
        "then",
        "else",
        "end",
        "and",
        "or",
        "not",
        "null",
        "is",
        "distinct",
        "from",
        "true",
        "false",
        "in",
        "like",
        "ilike",
        "escape",
        "between",
        "excluded",
        "as",
        "cast",
        "collate",
        "int",
        "integer",
        "bigint",
        "text",
        "double",
        "precision",
        "real",
        "boolean",
    ]
)


def _qualify(expr: str, table: str) -> str:
    """Name the target table on bare columns: in PostgreSQL an upsert's SET sees both the row
    and ``excluded``, and a bare column is ambiguous where SQLite takes the row's."""
    return _IDENT.sub(
        lambda m: m.group(1) if m.group(1).lower() in _KEYWORDS else f"{table}.{m.group(1)}", expr
    )


def _qualify_upsert(sql: str) -> str:
    upsert = _UPSERT.search(sql)
    target = _INSERT_INTO.match(sql)
    if upsert is None or target is None:
        return sql
    table = target.group(1)
    head, rest = sql[: upsert.end()], sql[upsert.end() :]
    tail = ""
    depth, cut = 0, len(rest)
    for found in _CLAUSE_END.finditer(rest):
        depth = rest[: found.start()].count("(") - rest[: found.start()].count(")")
        if depth == 0:
            cut = found.start()
            break
    rest, tail = rest[:cut], rest[cut:]
    assignments = []
    for assignment in _split_args(rest):
        column, _, value = assignment.partition("=")
        assignments.append(f"{column.strip()} = {_qualify(value, table).strip()}")
    where = re.match(r"\s*WHERE\b", tail, re.IGNORECASE)
    if where:
        end = _RETURNING.search(tail)
        stop = end.start() if end else len(tail)
        tail = f"{tail[: where.end()]}{_qualify(tail[where.end() : stop], table)}{tail[stop:]}"
    return f"{head} {', '.join(assignments)} {tail.lstrip()}".rstrip()


_FROM_SUBQUERY = re.compile(r"\b(FROM|JOIN)\s*\(\s*SELECT\b", re.IGNORECASE)
_NOT_AN_ALIAS = frozenset(
    {"where", "group", "order", "limit", "offset", "join", "left", "right", "inner", "cross"}
    | {"full", "on", "union", "except", "intersect", "having", "window"}
)


def _alias_subqueries(sql: str) -> str:
    """PostgreSQL 15 wants a name on every subquery in FROM; SQLite does not."""
    out, pos, count = [], 0, 0
    for found in _FROM_SUBQUERY.finditer(sql):
        open_at = sql.index("(", found.start())
        if open_at < pos:
            continue
        close_at = _closing(sql, open_at)
        following = re.match(r"\s*(\w+)", sql[close_at + 1 :])
        out.append(sql[pos : close_at + 1])
        pos = close_at + 1
        if following is None or following.group(1).lower() in _NOT_AN_ALIAS:
            count += 1
            out.append(f" AS _subquery{count}")
    out.append(sql[pos:])
    return "".join(out)


def rowid_column(sql: str) -> str | None:
    """The integer key to return for an INSERT with no RETURNING of its own (lastrowid)."""
    found = _INSERT_INTO.match(sql)
    if found is None or _RETURNING.search(_mask(sql)[0]):
        return None
    return ROWID_COLUMNS.get(found.group(1).lower())


_DDL_TYPES = (
    (
        re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b", re.IGNORECASE),
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b(?!\s+GENERATED)", re.IGNORECASE), "BIGINT"),
    (re.compile(r"\bREAL\b", re.IGNORECASE), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
)
# TEXT as a column's type (after the column's name), not a column named "text".
_TEXT_TYPE = re.compile(r"((?:[(,]|\bADD\s+COLUMN)\s*\w+\s+)TEXT\b", re.IGNORECASE)
_DEFINES_COLUMNS = re.compile(r"^\s*(CREATE\s+TABLE|ALTER\s+TABLE\s+\w+\s+ADD\s+COLUMN)\b", re.IGNORECASE)


_CREATE_INDEX = re.compile(r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b[^(]*\(", re.IGNORECASE)
_PLAIN_COLUMN = re.compile(r"^\w+(\s+(ASC|DESC))?$", re.IGNORECASE)


def _parenthesize_index_expressions(sql: str) -> str:
    """PostgreSQL wants each expression of an index in its own parentheses."""
    found = _CREATE_INDEX.match(sql)
    if found is None:
        return sql
    open_at = found.end() - 1
    close_at = _closing(sql, open_at)
    parts = _split_args(sql[open_at + 1 : close_at])
    wrapped = [p if _PLAIN_COLUMN.match(p) else f"({p})" for p in parts]
    return f"{sql[: open_at + 1]}{', '.join(wrapped)}{sql[close_at:]}"


def translate_ddl(statement: str) -> str | None:
    """The PostgreSQL form of one migration statement, or None when it has no meaning there."""
    if _PRAGMA.match(statement):
        return None
    masked, kept = _mask(statement)
    if not masked.strip():
        return None
    if _DEFINES_COLUMNS.match(masked):
        for pattern, replacement in _DDL_TYPES:
            masked = pattern.sub(replacement, masked)
        masked = _TEXT_TYPE.sub(r'\1TEXT COLLATE "C"', masked)
    masked = _rewrite_calls(masked, kept)
    masked = _parenthesize_index_expressions(masked)
    # DDL runs without parameters, so a literal % stays single.
    return _MASKED.sub(lambda m: kept[int(m.group(1))], masked).strip()
