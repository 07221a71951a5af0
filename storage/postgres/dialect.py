"""Parameters on PostgreSQL: the one difference the connection handles by itself.

sqlite3 marks a statement's parameters with ``?`` (DB-API ``qmark``); psycopg with ``%s``
(``format``), where a literal ``%`` must be doubled. :func:`format_paramstyle` converts the
markers, outside string literals, quoted identifiers and comments, and changes nothing else:
every other difference between the backends is written out in the statements themselves
(:mod:`storage.dialect`).
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def format_paramstyle(sql: str) -> str:
    """``sql`` with ``?`` as ``%s`` and ``%`` as ``%%``, outside quotes and comments."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char in "'\"":
            end = _closing_quote(sql, i)
            out.append(sql[i:end].replace("%", "%%"))
            i = end
            continue
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end].replace("%", "%%"))
            i = end
            continue
        out.append("%s" if char == "?" else "%%" if char == "%" else char)
        i += 1
    return "".join(out)


def _closing_quote(sql: str, start: int) -> int:
    """The index just past the quoted token opening at ``start`` (a doubled quote escapes)."""
    quote = sql[start]
    i = start + 1
    while i < len(sql):
        if sql[i] == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return len(sql)
