"""Exit codes, and the one place an error becomes one: :func:`exit_for`.

An error is mapped by its class: the first class along its MRO that :data:`CODES` names
decides, so a new error class needs no entry here as long as it roots in a family of
``common.errors``. Classes are named by dotted path rather than imported, so that mapping an
error never loads the web server or a database driver just to compare against them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import Enum

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_FOUND = 3
EXIT_STORAGE = 4
EXIT_ADDRESS_IN_USE = 5  # `serve`: the address and port are taken by another program
EXIT_INTERRUPTED = 130


class Voice(Enum):
    """Who the one-line message speaks for: the command that failed, ascent itself (a global
    option was wrong: --config, --db), or the database."""

    COMMAND = "command"
    GLOBAL = "global"
    DATABASE = "database"


CODES: dict[str, tuple[int, Voice]] = {
    # The families every part roots its errors in.
    "common.errors.AscentError": (EXIT_FAILED, Voice.COMMAND),
    "common.errors.InputError": (EXIT_BAD_INPUT, Voice.COMMAND),
    "common.errors.NotFoundError": (EXIT_NOT_FOUND, Voice.COMMAND),
    "common.errors.StorageFailure": (EXIT_STORAGE, Voice.DATABASE),
    "common.errors.FetchFailure": (EXIT_FAILED, Voice.COMMAND),
    # Errors about the global options rather than the command.
    "scripts.settings.SettingsError": (EXIT_BAD_INPUT, Voice.GLOBAL),
    "storage.errors.DatabaseMissing": (EXIT_NOT_FOUND, Voice.GLOBAL),
    # Storage's own tree, for as long as it does not root in common.errors.
    "storage.errors.StorageError": (EXIT_STORAGE, Voice.DATABASE),
    # Held by another process: the command says which of its things it could not have.
    "scripts.pipeline.MonthBusy": (EXIT_STORAGE, Voice.COMMAND),
    "scripts.web.server.AddressInUse": (EXIT_ADDRESS_IN_USE, Voice.COMMAND),
}


@dataclass(frozen=True)
class Exit:
    """How a command ends: its exit code and the line (if any) for standard error."""

    code: int
    message: str | None = None


def class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def code_for(error: BaseException) -> tuple[int, Voice] | None:
    """The exit code and voice of an error, or None for an error ascent did not raise on
    purpose (a defect: it keeps its traceback)."""
    for cls in type(error).__mro__:
        found = CODES.get(class_path(cls))
        if found is not None:
            return found
    return None


def exit_for(error: BaseException, command: str | None = None) -> Exit | None:
    """How the command line ends on ``error`` raised by ``command``; None when the error is
    not one of ascent's (the caller re-raises it)."""
    if isinstance(error, KeyboardInterrupt):
        return Exit(EXIT_INTERRUPTED, "ascent: interrupted")
    if isinstance(error, BrokenPipeError):  # the reader went away (`| head`): nothing to say
        return Exit(EXIT_OK)
    if isinstance(error, sqlite3.DatabaseError) and code_for(error) is None:
        error = _storage_failure(error)
    mapped = code_for(error)
    if mapped is None:
        return None
    code, voice = mapped
    if voice is Voice.DATABASE:
        return Exit(code, f"ascent: database: {error}")
    if voice is Voice.GLOBAL or command is None:
        return Exit(code, f"ascent: {error}")
    return Exit(code, f"ascent {command}: {error}")


def _storage_failure(error: sqlite3.DatabaseError) -> BaseException:
    """A query that bypassed storage's wrappers and met a damaged, locked or vanished file
    fails as storage would have said; any other SQLite error stays a defect."""
    from storage.db import is_storage_failure, translate

    return translate(error) if is_storage_failure(error) else error
