"""The layering as a test: the stages meet only in storage, and storage knows no stage.

crawler, signals and intent never import each other or the composition root (scripts);
storage imports none of them; common (shared value types) imports nothing of the project. Every import statement counts, at module level or inside a
function, and so does importlib.import_module / __import__ with a literal name: a lazy import
is still an arrow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STAGES = ("crawler", "signals", "intent")
TOP_LEVEL = ("common", *STAGES, "storage", "scripts")

# What each package may not import (its own name is always allowed).
FORBIDDEN: dict[str, frozenset[str]] = {
    **{stage: frozenset({*STAGES, "scripts"}) - {stage} for stage in STAGES},
    "storage": frozenset({*STAGES, "scripts"}),
    "common": frozenset({*STAGES, "storage", "scripts"}),
}


def imported_packages(
    tree: ast.AST, package: str, module_parts: tuple[str, ...]
) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every import in a module, relative imports resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[: len(module_parts) - node.level]
                target = ".".join(filter(None, [*base, node.module or ""]))
                yield node.lineno, (target.split(".")[0] if target else package)
            elif node.module:
                yield node.lineno, node.module.split(".")[0]
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value.split(".")[0]


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in {"__import__", "import_module"}
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def arrows(package: str) -> list[str]:
    """Every forbidden import in a package, as 'file:line imports X'."""
    found: list[str] = []
    for path in sorted((REPO / package).rglob("*.py")):
        relative = path.relative_to(REPO)
        parts = relative.with_suffix("").parts
        module_parts = parts[:-1] if parts[-1] == "__init__" else parts
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))
        for line, target in imported_packages(tree, package, module_parts):
            if target in FORBIDDEN[package]:
                found.append(f"{relative}:{line} imports {target}")
    return found


@pytest.mark.parametrize("package", [*STAGES, "storage", "common"])
def test_package_imports_only_what_the_layering_allows(package: str) -> None:
    assert arrows(package) == []


def test_the_checker_sees_every_kind_of_arrow() -> None:
    source = (
        "import signals.classify\n"
        "from intent import monthly\n"
        "def lazy():\n"
        "    from scripts.cli import main\n"
        "    import importlib\n"
        "    importlib.import_module('crawler.loop')\n"
        "from ..signals import x\n"
        "from . import sibling\n"
    )
    tree = ast.parse(source)
    seen = {target for _, target in imported_packages(tree, "storage", ("storage", "sub", "mod"))}
    assert {"signals", "intent", "scripts", "crawler", "storage"} <= seen


def test_every_top_level_package_is_checked() -> None:
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")} - {"tests"}
    assert packages <= set(TOP_LEVEL), (
        f"new top-level package(s) without a layering rule: {packages - set(TOP_LEVEL)}"
    )



def test_tests_share_helpers_through_the_support_package_only() -> None:
    """A test module imports no other test module: shared helpers live in tests/support."""
    found: list[str] = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.split(".")[-1].startswith("test_") or name.startswith("conftest"):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno} imports {name}")
    assert found == []
