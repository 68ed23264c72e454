"""Real PostgreSQL for tests: the embedded server, or ``P88_TEST_DATABASE_URL``.

One migrated template database per test session; each test gets a fresh copy
(``CREATE DATABASE ... TEMPLATE``), which takes milliseconds instead of a migrate.

Test databases are dropped at the end of the session, not after each test: DROP DATABASE
waits for every backend on the server to absorb a signal barrier, and a backend in the
middle of a long COPY does not, so per-test drops stalled whole runs. The embedded test
server also runs without fsync: its data is disposable and checkpoints stay cheap.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from p88.store.connect import connect
from p88.store.embedded import with_database
from p88.store.migrations import migrate


def _server_url() -> str:
    url = os.environ.get("P88_TEST_DATABASE_URL")
    if url:
        return url
    from p88.store.embedded import _server_uri

    data_dir = Path(os.environ.get("P88_TEST_DATA_DIR", Path(tempfile.gettempdir()) / "p88-test"))
    url = _server_uri(data_dir / "pgdata")
    with psycopg.connect(url, autocommit=True) as conn:
        for setting in ("fsync", "full_page_writes", "synchronous_commit"):
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
        conn.execute("SELECT pg_reload_conf()")
    return url


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        conn.execute(query)
    return with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


_CREATED: list[str] = []


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL of the test server's maintenance database; drops this session's databases at exit."""
    url = _server_url()
    yield url
    for name in reversed(_CREATED):
        drop_database(url, name)


@pytest.fixture(scope="session")
def template_db(pg_admin_url: str) -> str:
    """A migrated template database, made once per test session."""
    name = f"p88_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _CREATED.append(name)
    url = create_database(pg_admin_url, name)
    with connect(url, autocommit=True) as conn:
        migrate(conn)
    return name


@pytest.fixture
def empty_db_url(pg_admin_url: str) -> str:
    """A fresh database with nothing in it (not even migrations)."""
    name = f"p88_t_{uuid.uuid4().hex[:12]}"
    _CREATED.append(name)
    return create_database(pg_admin_url, name)


@pytest.fixture
def db_url(pg_admin_url: str, template_db: str) -> str:
    """A fresh, fully migrated database for one test."""
    name = f"p88_t_{uuid.uuid4().hex[:12]}"
    _CREATED.append(name)
    return create_database(pg_admin_url, name, template=template_db)


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the test's fresh database."""
    with connect(db_url, autocommit=True) as c:
        yield c


@pytest.fixture
def p88_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point every p88 entry point (CLI included) at the test database; no user config."""
    monkeypatch.setenv("P88_DATABASE_URL", db_url)
    monkeypatch.setenv("P88_CONFIG", str(tmp_path / "p88.toml"))
    monkeypatch.setenv("P88_DATA_DIR", str(tmp_path / "data"))
    return db_url
