"""Imports run one way: protocol imports neither sim nor store (sim imports protocol)."""

from __future__ import annotations

import ast
from pathlib import Path

import p88

SRC = Path(p88.__file__).resolve().parent


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_protocol_imports_neither_sim_nor_store() -> None:
    offenders = sorted(
        f"{path.name}: {name}"
        for path in (SRC / "protocol").glob("*.py")
        for name in _imported(path)
        if name.startswith(("p88.sim", "p88.store"))
    )
    assert offenders == []


def test_the_feed_lives_in_protocol() -> None:
    assert (SRC / "protocol" / "feed.py").is_file()
    assert not (SRC / "sim" / "feed.py").exists()
    assert "p88.protocol.feed" in _imported(SRC / "sim" / "__init__.py")
