"""The error tree: every P88Error subclass is drawn in errors.py, and psycopg errors are
translated in one place, the store's edge."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

import p88
from p88 import errors
from p88.errors import DatabaseUnavailable, InputError, P88Error, StoreError
from p88.store import database_error

_LINE = re.compile(r"^    ((?:│   |    )*)(?:├── |└── )?(\w+)\s+exit (\d)\b.*?(?:\[([\w.]+)\])?$")


def _all_subclasses(cls: type[P88Error]) -> set[type[P88Error]]:
    found: set[type[P88Error]] = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _all_subclasses(sub)
    return found


def _import_every_module() -> None:
    for info in pkgutil.walk_packages(p88.__path__, "p88."):
        if info.name != "p88.__main__":
            importlib.import_module(info.name)


def _drawn_tree() -> dict[str, tuple[str | None, int, str | None]]:
    """Class name -> (parent in the drawing, exit code drawn, module drawn)."""
    drawn: dict[str, tuple[str | None, int, str | None]] = {}
    stack: list[str] = []
    for line in (errors.__doc__ or "").splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        depth = len(m[1]) // 4 + (0 if m[2] == "P88Error" else 1)
        del stack[depth:]
        drawn[m[2]] = (stack[-1] if stack else None, int(m[3]), m[4])
        stack.append(m[2])
    return drawn


def test_the_docstring_tree_draws_every_subclass_where_it_is() -> None:
    _import_every_module()
    classes = _all_subclasses(P88Error)
    drawn = _drawn_tree()
    assert drawn["P88Error"] == (None, 1, None)
    assert {c.__name__ for c in classes} == set(drawn) - {"P88Error"}
    for cls in classes:
        parent, code, module = drawn[cls.__name__]
        assert cls.__bases__[0].__name__ == parent, cls
        assert cls.exit_code == code, cls
        expected = None if cls.__module__ == "p88.errors" else cls.__module__.removeprefix("p88.")
        assert module == expected, cls


def test_the_tree_reader_sees_nesting() -> None:
    """The check above can fail: the reader finds depth and modules in the drawing."""
    drawn = _drawn_tree()
    assert drawn["DatabaseUnavailable"] == ("StoreError", 3, None)
    assert drawn["ImportRejected"] == ("InputError", 1, "store.results.importer")
    assert drawn["RefusedError"] == ("P88Error", 4, None)


def test_input_error_says_what_and_where() -> None:
    err = InputError("bare number '10' has no unit", what="distance", where="--distance")
    assert (err.message, err.what, err.where, err.exit_code) == (
        "bare number '10' has no unit",
        "distance",
        "--distance",
        1,
    )


def test_psycopg_errors_become_store_errors_at_the_edge(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.errors.UndefinedTable) as caught:
        conn.execute("SELECT * FROM no_such_table")
    schema = database_error(caught.value)
    assert isinstance(schema, StoreError) and not isinstance(schema, DatabaseUnavailable)
    assert schema.message.startswith("the database schema is older than this p88")
    assert schema.hint == "run p88 db migrate"
    with pytest.raises(psycopg.errors.QueryCanceled) as timeout:
        conn.execute("SET statement_timeout = 10; SELECT pg_sleep(1)")
    gave_up = database_error(timeout.value)
    assert gave_up is not None and gave_up.message.startswith("the database gave up")
    conn.execute("SET statement_timeout = 0")
    with pytest.raises(psycopg.errors.DivisionByZero) as bug:
        conn.execute("SELECT 1 / 0")
    assert database_error(bug.value) is None  # a bug keeps its traceback
    assert database_error(ValueError("not a database error")) is None


def test_a_lost_connection_is_database_unavailable(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as victim:
        pid = victim.info.backend_pid
        with psycopg.connect(db_url, autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(psycopg.OperationalError) as caught:
            victim.execute("SELECT 1")
    lost = database_error(caught.value)
    assert isinstance(lost, DatabaseUnavailable) and lost.exit_code == 3
    named = database_error(caught.value, url=db_url)
    assert isinstance(named, DatabaseUnavailable) and "cannot reach PostgreSQL at" in named.message


def test_no_bare_p88error_is_raised() -> None:
    """A user mistake is raised as the subclass that says what it is (InputError and co.)."""
    src = Path(p88.__file__).parent
    bare = [
        f"{path.relative_to(src)}:{no}"
        for path in sorted(src.rglob("*.py"))
        for no, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"raise\s+P88Error\(", line)
    ]
    assert bare == []


def test_a_bad_course_names_what_and_where() -> None:
    from p88.sim import build_course

    with pytest.raises(InputError) as distance:
        build_course("START,FINISH", "10")
    assert (distance.value.what, distance.value.where) == ("distance", "--distance")
    with pytest.raises(InputError) as points:
        build_course("START,b~ad,FINISH", "10K")
    assert (points.value.what, points.value.where) == ("timing point", "--points")
    with pytest.raises(InputError) as waves:
        build_course("START,FINISH", "10K", waves="99")
    assert (waves.value.what, waves.value.where) == ("waves", "--waves")
