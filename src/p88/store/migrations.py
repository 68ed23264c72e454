"""Numbered SQL migrations (``sql/NNN_name.sql``), applied once each, in order.

Each file runs in its own transaction and is recorded in ``p88_migrations`` with a
SHA-256 of its bytes. A file that changed after it was applied stops everything:
released migrations are never edited, a change is a new file. Concurrent runners
serialise on an advisory lock, so two ``p88 db migrate`` at once apply each file once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from p88.errors import MigrationError

if TYPE_CHECKING:
    import psycopg

LOCK_KEY = 8_861_161  # arbitrary, constant: p88's migration advisory lock
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")

_LEDGER = """
CREATE TABLE IF NOT EXISTS p88_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str
    checksum: str


@dataclass(frozen=True)
class Applied:
    """A row of ``p88_migrations``."""

    version: int
    name: str
    checksum: str
    applied_at: datetime


@dataclass(frozen=True)
class Status:
    """What is applied, what is pending, and what changed after being applied."""

    applied: list[Applied]
    pending: list[Migration]
    changed: list[Migration]
    unknown: list[Applied]


def sql_dir() -> Path:
    """The migrations shipped with p88: inside the wheel, or ``sql/`` of a source checkout."""
    packaged = Path(str(resources.files("p88"))) / "sql"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "sql"


def discover(directory: Path | None = None) -> list[Migration]:
    """Every ``NNN_name.sql`` in ``directory``, sorted by number."""
    directory = directory or sql_dir()
    if not directory.is_dir():
        raise MigrationError(f"migration directory {directory} is missing")
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations numbered {version:03d}")
        data = path.read_bytes()
        found[version] = Migration(
            version=version,
            name=match.group(2),
            sql=data.decode("utf-8"),
            checksum=hashlib.sha256(data).hexdigest(),
        )
    return [found[v] for v in sorted(found)]


def applied(conn: psycopg.Connection[Any]) -> list[Applied]:
    """The ledger; empty when nothing was ever applied."""
    exists = conn.execute("SELECT to_regclass('p88_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return []
    rows = conn.execute(
        "SELECT version, name, checksum, applied_at FROM p88_migrations ORDER BY version"
    ).fetchall()
    return [Applied(*row) for row in rows]


def status(conn: psycopg.Connection[Any], directory: Path | None = None) -> Status:
    """Compare the ledger with the files, without changing anything."""
    files = discover(directory)
    done = {a.version: a for a in applied(conn)}
    known = {m.version for m in files}
    return Status(
        applied=list(done.values()),
        pending=[m for m in files if m.version not in done],
        changed=[m for m in files if m.version in done and done[m.version].checksum != m.checksum],
        unknown=[a for v, a in done.items() if v not in known],
    )


def _refuse_if_inconsistent(state: Status) -> None:
    if state.changed:
        m = state.changed[0]
        raise MigrationError(
            f"migration {m.version:03d}_{m.name}.sql changed after it was applied",
            hint="restore the released file; put the change in a new migration",
        )
    if state.unknown:
        a = state.unknown[0]
        raise MigrationError(
            f"the database has migration {a.version:03d}_{a.name} that this p88 does not know",
            hint="upgrade p88",
        )


def require_current(conn: psycopg.Connection[Any], directory: Path | None = None) -> None:
    """Refuse, with one clear line, a database whose schema is not this p88's: checked
    once when a long-running command starts, so no query needs a fallback for an old
    schema."""
    state = status(conn, directory)
    _refuse_if_inconsistent(state)
    if state.pending:
        names = ", ".join(f"{m.version:03d}_{m.name}" for m in state.pending)
        raise MigrationError(
            f"the database schema is behind this p88: {len(state.pending)} migration(s) "
            f"pending ({names})",
            hint="run p88 db migrate first",
        )


def migrate(
    conn: psycopg.Connection[Any],
    directory: Path | None = None,
    on_apply: Callable[[Migration], None] | None = None,
) -> list[Migration]:
    """Apply every pending migration in order; return the ones this call applied.

    ``conn`` must be in autocommit mode: each migration gets its own transaction.
    """
    import psycopg

    if not conn.autocommit:
        raise MigrationError("migrate needs an autocommit connection")
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        conn.execute(_LEDGER)
        state = status(conn, directory)
        _refuse_if_inconsistent(state)
        done: list[Migration] = []
        for migration in state.pending:
            if on_apply:
                on_apply(migration)
            try:
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO p88_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
            except psycopg.Error as exc:
                raise MigrationError(
                    f"migration {migration.version:03d}_{migration.name}.sql failed: "
                    f"{str(exc).splitlines()[0]}"
                ) from None
            done.append(migration)
        return done
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
