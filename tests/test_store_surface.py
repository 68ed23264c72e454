"""``p88.store`` is the store's public surface: complete, and the only way in from src/."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import p88.store

SRC = Path(p88.store.__file__).resolve().parents[1]  # src/p88
STORE = SRC / "store"


def test_all_is_complete_and_resolves() -> None:
    """Every public name the package holds is in ``__all__`` (submodules excepted), and
    every name in ``__all__`` exists."""
    public = {
        name
        for name, value in vars(p88.store).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - set(p88.store.__all__) == set(), "public but not in __all__"
    missing = [name for name in p88.store.__all__ if not hasattr(p88.store, name)]
    assert missing == []
    assert len(p88.store.__all__) == len(set(p88.store.__all__))


def _store_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for every import of a private store module, or of a name that is not
    on the surface, in one parsed module."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name)
                for alias in node.names
                if alias.name.startswith("p88.store.")
            ]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("p88.store."):
                found.append((node.lineno, node.module))
            elif node.module == "p88.store":
                found += [
                    (node.lineno, f"p88.store.{alias.name}")
                    for alias in node.names
                    if alias.name not in p88.store.__all__
                ]
    return found


def test_nothing_outside_the_store_imports_its_private_modules() -> None:
    offenders = [
        f"{path.relative_to(SRC.parent)}:{line}: {what}"
        for path in sorted(SRC.rglob("*.py"))
        if STORE not in path.parents
        for line, what in _store_imports(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_the_walk_catches_each_way_in() -> None:
    """The check above can fail: each form of a private import is found."""
    code = (
        "import p88.store.reads\n"
        "from p88.store.results import score_race\n"
        "from p88.store import migrations\n"
        "def f():\n    from p88.store.live import CHANNEL\n"
        "from p88.store import connect\n"
    )
    assert [line for line, _ in _store_imports(ast.parse(code))] == [1, 2, 3, 5]
