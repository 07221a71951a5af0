"""One exception tree, mapped to exit codes in one place (``scripts/exits.py``): every error
class ascent raises on purpose maps to its family's code, and nothing else is swallowed."""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
from types import ModuleType

import pytest

from common.errors import AscentError, FetchFailure, InputError, NotFoundError, StorageFailure
from scripts.exits import (
    CODES,
    EXIT_ADDRESS_IN_USE,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_STORAGE,
    Exit,
    code_for,
    exit_for,
)

# The product's packages; developer tools (not installed) are left out.
PACKAGES = ("common", "crawler", "signals", "intent", "storage", "scripts")
NOT_PRODUCT = ("scripts.devtools",)


def all_product_modules() -> list[ModuleType]:
    modules = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        modules.append(package)
        for info in pkgutil.walk_packages(package.__path__, f"{name}."):
            if info.name.startswith(NOT_PRODUCT) or info.name.endswith("__main__"):
                continue
            modules.append(importlib.import_module(info.name))
    return modules


def subclasses(root: type) -> set[type]:
    found: set[type] = set()
    for child in root.__subclasses__():
        found |= {child, *subclasses(child)}
    return found


@pytest.fixture(scope="module")
def tree() -> set[type]:
    all_product_modules()  # every class is defined once its module is imported
    return {cls for cls in subclasses(AscentError) if cls.__module__.split(".")[0] in PACKAGES}


def test_every_error_class_in_the_project_maps_to_an_exit_code(tree: set[type]) -> None:
    assert len(tree) >= 30  # the walk found the tree, not just its families
    codes = {EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_STORAGE, EXIT_ADDRESS_IN_USE}
    unmapped = sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in tree if _code(cls) not in codes)
    assert unmapped == []


# Errors that belong to no family on purpose: they end `serve` before it listens.
FAMILYLESS = {"scripts.web.server.AddressInUse", "scripts.web.server.CannotListen"}


def test_every_error_class_belongs_to_a_family(tree: set[type]) -> None:
    families = (InputError, NotFoundError, StorageFailure, FetchFailure)
    loose = sorted(
        path
        for cls in tree
        if not issubclass(cls, families) and (path := f"{cls.__module__}.{cls.__qualname__}") not in FAMILYLESS
    )
    assert loose == []


def test_every_class_the_table_names_exists() -> None:
    for path in CODES:
        module, _, name = path.rpartition(".")
        assert isinstance(getattr(importlib.import_module(module), name), type), path


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("crawler.errors.FetchError", FetchFailure),
        ("signals.taxonomy.TaxonomyError", InputError),
        ("intent.months.MonthError", InputError),
        ("intent.domains.DomainError", InputError),
        ("intent.matrix.MatrixError", InputError),
        ("intent.imports.Problem", InputError),
        ("scripts.settings.SettingsError", InputError),
        ("scripts.web.params.BadParameter", InputError),
        ("scripts.exports.MonthNotScored", NotFoundError),
        ("scripts.lookups.NoSuchCustomer", NotFoundError),
        ("scripts.pipeline.MonthBusy", StorageFailure),
        ("scripts.web.server.AddressInUse", AscentError),
    ],
)
def test_the_ad_hoc_errors_root_in_their_family(path: str, family: type) -> None:
    module, _, name = path.rpartition(".")
    assert issubclass(getattr(importlib.import_module(module), name), family)


def test_input_errors_are_still_value_errors() -> None:
    # Validation code written as `except ValueError` keeps catching them.
    from intent.months import MonthError

    assert issubclass(MonthError, ValueError)


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("scripts.settings.SettingsError", EXIT_BAD_INPUT),
        ("intent.months.MonthError", EXIT_BAD_INPUT),
        ("scripts.lookups.NoSuchCustomer", EXIT_NOT_FOUND),
        ("storage.errors.DatabaseMissing", EXIT_NOT_FOUND),
        ("storage.errors.DatabaseBusy", EXIT_STORAGE),
        ("storage.errors.DatabaseDamaged", EXIT_STORAGE),
        ("storage.errors.SchemaTooNew", EXIT_STORAGE),
        ("scripts.pipeline.MonthBusy", EXIT_STORAGE),
        ("scripts.web.server.AddressInUse", EXIT_ADDRESS_IN_USE),
        ("scripts.web.server.CannotListen", EXIT_FAILED),
        ("crawler.errors.DnsFailed", EXIT_FAILED),
    ],
)
def test_each_family_has_its_code(path: str, code: int) -> None:
    module, _, name = path.rpartition(".")
    assert _code(getattr(importlib.import_module(module), name)) == code


def test_the_message_speaks_for_the_command_ascent_or_the_database() -> None:
    from scripts.settings import SettingsError
    from storage.errors import DatabaseBusy, DatabaseMissing

    assert exit_for(InputError("bad"), "export") == Exit(EXIT_BAD_INPUT, "ascent export: bad")
    assert exit_for(SettingsError("x.toml: bad"), "export") == Exit(EXIT_BAD_INPUT, "ascent: x.toml: bad")
    assert exit_for(DatabaseMissing("no database at x"), "sources") == Exit(EXIT_NOT_FOUND, "ascent: no database at x")
    assert exit_for(DatabaseBusy("locked"), "monthly") == Exit(EXIT_STORAGE, "ascent: database: locked")
    assert exit_for(KeyboardInterrupt(), "crawl") == Exit(EXIT_INTERRUPTED, "ascent: interrupted")
    assert exit_for(BrokenPipeError(), "explain") == Exit(EXIT_OK)


def test_a_damaged_file_met_outside_storage_is_a_storage_failure_and_a_defect_is_not_swallowed() -> None:
    damaged = exit_for(sqlite3.DatabaseError("file is not a database"), "sources")
    assert damaged is not None and damaged.code == EXIT_STORAGE
    assert damaged.message is not None and damaged.message.startswith("ascent: database: ")
    assert exit_for(sqlite3.IntegrityError("UNIQUE constraint failed"), "import") is None
    assert exit_for(RuntimeError("a bug"), "crawl") is None
    assert exit_for(ValueError("a bug"), "crawl") is None


def _code(cls: type) -> int | None:
    mapped = code_for(cls.__new__(cls))
    return None if mapped is None else mapped[0]
