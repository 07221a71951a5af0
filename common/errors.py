"""The root of every error ascent raises on purpose, and its families.

Each family says what kind of thing went wrong; the command line maps a family to its exit
code in one place (``scripts/exits.py``). ``retryable`` says whether trying again later can
help, so callers decide without matching on messages.
"""

from __future__ import annotations


class AscentError(Exception):
    """Base of every error ascent raises on purpose."""

    retryable: bool = False


class InputError(AscentError, ValueError):
    """Bad input from a user or a file: a CSV, a setting, an argument, a month (exit 2).

    Also a ValueError, so code that validates with ``except ValueError`` keeps working.
    """


class NotFoundError(AscentError):
    """A named thing does not exist: a customer, a document, a database file (exit 3)."""


class StorageFailure(AscentError):
    """The database failed or refused: busy, read-only, full, damaged, too new (exit 4)."""


class FetchFailure(AscentError):
    """Fetching or parsing a URL failed; a crawl records it and goes on."""
