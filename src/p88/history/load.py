"""Loading a generated history into PostgreSQL with COPY, replacing an earlier one.

One transaction: the earlier synthetic history (partners flagged ``is_demo``, their
events, races and results, and the synthetic participants left without a result) goes,
the new rows arrive by COPY with explicit ids after the highest id in each table, and the
sequences move past them. On a fresh database the ids therefore start at 1 and are the
same for the same options. Real partners' data is never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from psycopg import sql

from p88.errors import RefusedError
from p88.history import catalog
from p88.history.arrays import Columns
from p88.history.generate import HistoryOptions, IdBase, generate

if TYPE_CHECKING:
    import psycopg

Progress = Callable[[str, int, int], None]
_TABLES = ("timing_partners", "ct_events", "ct_races", "ct_participants", "ct_results")
_CHUNK = 50_000


@dataclass(frozen=True)
class HistorySummary:
    """What was loaded and how fast."""

    partners: int
    events: int
    races: int
    participants: int
    results: int
    replaced_results: int
    generate_s: float
    load_s: float

    @property
    def rows_per_s(self) -> float:
        total = self.partners + self.events + self.races + self.participants + self.results
        return total / max(self.generate_s + self.load_s, 1e-9)


def load_history(
    conn: psycopg.Connection[Any],
    opts: HistoryOptions,
    *,
    progress: Progress | None = None,
) -> HistorySummary:
    """Generate the history for ``opts`` and load it, replacing any earlier synthetic one."""
    with conn.transaction():
        conn.execute(
            "LOCK TABLE timing_partners, ct_events, ct_races, ct_participants, ct_results "
            "IN SHARE ROW EXCLUSIVE MODE"
        )
        _refuse_real_namesakes(conn)
        replaced = _delete_synthetic(conn)
        base = IdBase(*(_max_id(conn, t) for t in _TABLES))
        t0 = time.perf_counter()
        history = generate(opts, base)
        t1 = time.perf_counter()
        for table in history.tables():
            restore = _suspend_upkeep(conn, table.table) if _is_bulk(conn, table) else []
            copy_columns(conn, table, progress)
            for ddl in restore:
                conn.execute(ddl)
        for t in _TABLES:
            conn.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({t}, 'id'), "
                    "GREATEST((SELECT max(id) FROM {i}), 1))"
                ).format(t=sql.Literal(t), i=sql.Identifier(t))
            )
        t2 = time.perf_counter()
    for t in _TABLES:
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(t)))
    return HistorySummary(
        partners=len(history.partners),
        events=len(history.events),
        races=len(history.races),
        participants=len(history.participants),
        results=len(history.results),
        replaced_results=replaced,
        generate_s=t1 - t0,
        load_s=t2 - t1,
    )


def copy_columns(
    conn: psycopg.Connection[Any], table: Columns, progress: Progress | None = None
) -> None:
    """COPY a ``Columns`` into its table, in text format built a chunk at a time."""
    names = list(table.data)
    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.table), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    n = len(table)
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        for lo in range(0, n, _CHUNK):
            hi = min(n, lo + _CHUNK)
            cols = []
            for name in names:
                text = table.data[name][lo:hi].astype(str)
                mask = table.nulls.get(name)
                if mask is not None:
                    text = np.where(mask[lo:hi], "\\N", text)
                cols.append(text.tolist())
            copy.write("".join(line + "\n" for line in map("\t".join, zip(*cols, strict=True))))
            if progress:
                progress(table.table, hi, n)


def _is_bulk(conn: psycopg.Connection[Any], table: Columns) -> bool:
    """Worth rebuilding indexes after the load: the table holds fewer rows than arrive."""
    if len(table) < 10_000:
        return False
    row = conn.execute(
        sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT %s) AS t").format(
            sql.Identifier(table.table)
        ),
        (len(table),),
    ).fetchone()
    return row is not None and int(row[0]) < len(table)


def _suspend_upkeep(conn: psycopg.Connection[Any], table: str) -> list[sql.SQL | sql.Composed]:
    """Drop ``table``'s plain indexes and outgoing foreign keys; return the DDL to restore them.

    A bulk COPY into a table with few rows is several times faster when indexes are built
    once afterwards and foreign keys are checked by one join instead of once per row. The
    definitions come from the catalog, so the migrations stay the only place they are
    written; everything happens in the caller's transaction, so a failure restores them.
    """
    fks = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        (table,),
    ).fetchall()
    indexes = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
        (table,),
    ).fetchall()
    restore: list[sql.SQL | sql.Composed] = []
    for name, definition in fks:
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
        restore.append(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(table), sql.Identifier(name), _catalog_ddl(definition)
            )
        )
    for name, definition in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        restore.append(_catalog_ddl(definition))
    return restore


def _catalog_ddl(text: str) -> sql.SQL:
    """DDL that PostgreSQL itself wrote (``pg_get_constraintdef``, ``pg_get_indexdef``) for
    an object it holds: no user text is in it, so it is composed as SQL, the one place a
    non-literal string is."""
    return sql.SQL(text)  # PostgreSQL's own text, not a literal: see the docstring


def _max_id(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(
        sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(sql.Identifier(table))
    ).fetchone()
    return int(row[0]) if row else 0


def _refuse_real_namesakes(conn: psycopg.Connection[Any]) -> None:
    codes = [p.code for p in catalog.PARTNERS]
    names = [p.name for p in catalog.PARTNERS]
    row = conn.execute(
        "SELECT name FROM timing_partners WHERE NOT is_demo "
        "AND (code = ANY(%s) OR name = ANY(%s)) LIMIT 1",
        (codes, names),
    ).fetchone()
    if row:
        raise RefusedError(
            f"a real timing partner is called {row[0]!r}, like a synthetic one",
            hint="load the synthetic history into another database",
            rule="real-partner",
        )


def _delete_synthetic(conn: psycopg.Connection[Any]) -> int:
    """Remove an earlier synthetic history; returns how many results went.

    When every result, event and participant is synthetic, TRUNCATE does it at once;
    otherwise the synthetic rows are deleted one partner at a time (slow, but rare).
    """
    row = conn.execute(
        "SELECT (SELECT count(*) FROM ct_results), "
        "EXISTS (SELECT 1 FROM ct_events e JOIN timing_partners p ON p.id = e.partner_id "
        "        WHERE NOT p.is_demo), "
        "EXISTS (SELECT 1 FROM ct_participants WHERE external_id IS DISTINCT FROM 'synthetic')"
    ).fetchone()
    assert row is not None
    if not row[1] and not row[2]:
        conn.execute("TRUNCATE ct_results, ct_events, ct_participants CASCADE")
        _delete_demo_partners(conn)
        return int(row[0])
    cur = conn.execute(
        "DELETE FROM ct_results WHERE partner_id IN (SELECT id FROM timing_partners WHERE is_demo)"
    )
    deleted = cur.rowcount
    conn.execute(
        "DELETE FROM ct_events WHERE partner_id IN (SELECT id FROM timing_partners WHERE is_demo)"
    )
    conn.execute(
        "DELETE FROM ct_participants p WHERE external_id = 'synthetic' "
        "AND NOT EXISTS (SELECT 1 FROM ct_results r WHERE r.participant_id = p.id)"
    )
    _delete_demo_partners(conn)
    return deleted


def _delete_demo_partners(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute(
        "SELECT p.name, s.session_name FROM timing_partners p "
        "JOIN timing_sessions s ON s.partner_id = p.id WHERE p.is_demo LIMIT 1"
    ).fetchone()
    if row:
        raise RefusedError(
            f"timing session {row[1]!r} belongs to the synthetic partner {row[0]!r}",
            hint="set that session's partner_id to NULL or to a real partner first",
            rule="real-session",
        )
    conn.execute("DELETE FROM timing_partners WHERE is_demo")
