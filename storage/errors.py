"""Storage errors, each telling the caller whether retrying can help.

Both backends raise these and only these for a failure of the database (SQLite's and
PostgreSQL's own exceptions never escape storage), so a command exits with the same code
whichever backend it runs on. They are :class:`common.errors.StorageFailure` (exit 4), except
:class:`DatabaseMissing`, a :class:`common.errors.NotFoundError` (exit 3).
"""

from common.errors import NotFoundError, StorageFailure


class StorageError(StorageFailure):
    """Base class of every storage failure."""

    retryable: bool = False


class DatabaseBusy(StorageError):
    """Another process holds the write lock (or a row lock) for longer than the timeout."""

    retryable = True


class DatabaseReadOnly(StorageError):
    """The database file or its directory cannot be written (or the server refuses writes)."""


class DiskFull(StorageError):
    """The disk holding the database is full."""

    retryable = True


class SchemaTooNew(StorageError):
    """The database was written by a newer ascent than this one."""


class DatabaseDamaged(StorageError):
    """The database is corrupt ("database disk image is malformed", "not a database", or a
    PostgreSQL data-corruption error)."""


class IntegrityViolation(StorageError):
    """A write broke a constraint (a duplicate key, a missing parent row, a NOT NULL)."""


class DatabaseMissing(NotFoundError):
    """A command that only reads was given a database file that does not exist (not a
    StorageError: nothing is wrong with storage, the path is; exit code 3, "not found")."""
