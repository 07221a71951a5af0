"""Storage errors, each telling the caller whether retrying can help."""


class StorageError(Exception):
    """Base class of every storage failure."""

    retryable: bool = False


class DatabaseBusy(StorageError):
    """Another process holds the write lock for longer than busy_timeout."""

    retryable = True


class DatabaseReadOnly(StorageError):
    """The database file or its directory cannot be written."""


class DiskFull(StorageError):
    """The disk holding the database is full."""

    retryable = True


class SchemaTooNew(StorageError):
    """The database was written by a newer ascent than this one."""


class DatabaseDamaged(StorageError):
    """The database file is corrupt ("database disk image is malformed", "not a database")."""


class DatabaseMissing(Exception):
    """A command that only reads was given a database file that does not exist (not a
    StorageError: nothing is wrong with storage, the path is; exit code 3, "not found")."""
