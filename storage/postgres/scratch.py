"""Throw-away schemas on a PostgreSQL server, for tests and benchmarks.

Each scratch schema is a fresh, empty namespace in an existing database; its URL sets the
``search_path`` so that everything ascent creates lands in it, and dropping the schema removes
every trace. The server defaults to the loopback one tests expect; ``ASCENT_TEST_POSTGRES``
points elsewhere.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def server_url() -> str:
    return os.environ.get("ASCENT_TEST_POSTGRES", DEFAULT_SERVER)


def unavailable_reason(url: str | None = None) -> str | None:
    """Why no PostgreSQL server can be used at ``url`` (None when one answers)."""
    url = url or server_url()
    try:
        import psycopg
    except ImportError:
        return "the PostgreSQL driver is not installed (pip install 'ascent[postgres]')"
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"no PostgreSQL server answers at {url} ({str(exc).strip().splitlines()[0]})"
    return None


def schema_url(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def scratch_schema(url: str | None = None, prefix: str = "ascent_t") -> Iterator[str]:
    """Create an empty schema, yield a URL that works inside it, drop it afterwards."""
    import psycopg

    url = url or server_url()
    schema = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
