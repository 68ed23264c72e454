"""What a sync remembers between runs (migration 012): links, high-water marks, what was sent.

Every write here happens inside the caller's transaction, so a pull's entries and its
high-water mark commit together: a pull cut short leaves the mark where it was and the
next run fetches the same rows again (and finds them already written).
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    import psycopg


@dataclass
class Link:
    """A p88 race linked to a provider's race and event, and the state of its sync."""

    race_id: int
    provider: str
    remote_race_id: int
    remote_event_id: int
    high_water: int | None = None
    high_water_ids: list[int] = field(default_factory=list)
    result_set_id: int | None = None
    result_set_final: bool = False
    preliminary_set_id: int | None = None
    splits: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Known:
    """A registration already pulled: the entry it became and what it looked like."""

    result_id: int | None
    bib: str | None
    chip: str | None
    fingerprint: str


@dataclass(frozen=True)
class Change:
    """One bib or chip change applied to an entry (a row of ``sync_changes``)."""

    result_id: int
    registration_id: int | None
    field: str
    old: str | None
    new: str | None


def load_link(conn: psycopg.Connection[Any], race_id: int, provider: str) -> Link | None:
    row = conn.execute(
        "SELECT remote_race_id, remote_event_id, high_water, high_water_ids, result_set_id, "
        "result_set_final, preliminary_set_id, splits FROM sync_links "
        "WHERE race_id = %s AND provider = %s",
        (race_id, provider),
    ).fetchone()
    if row is None:
        return None
    return Link(race_id, provider, row[0], row[1], row[2], list(row[3]), row[4], row[5], row[6],
                {str(k): int(v) for k, v in (row[7] or {}).items()})  # fmt: skip


def save_link(conn: psycopg.Connection[Any], link: Link, *, pulled: bool = False,
              pushed: bool = False) -> None:  # fmt: skip
    """Insert or update the link; ``pulled``/``pushed`` stamp the time of that run."""
    conn.execute(
        """
        INSERT INTO sync_links AS l (race_id, provider, remote_race_id, remote_event_id,
            high_water, high_water_ids, result_set_id, result_set_final, preliminary_set_id,
            splits, pulled_at, pushed_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                CASE WHEN %s THEN now() END, CASE WHEN %s THEN now() END)
        ON CONFLICT (race_id, provider) DO UPDATE SET
            remote_race_id = EXCLUDED.remote_race_id, remote_event_id = EXCLUDED.remote_event_id,
            high_water = EXCLUDED.high_water, high_water_ids = EXCLUDED.high_water_ids,
            result_set_id = EXCLUDED.result_set_id, result_set_final = EXCLUDED.result_set_final,
            preliminary_set_id = EXCLUDED.preliminary_set_id, splits = EXCLUDED.splits,
            pulled_at = coalesce(EXCLUDED.pulled_at, l.pulled_at),
            pushed_at = coalesce(EXCLUDED.pushed_at, l.pushed_at)
        """,
        (link.race_id, link.provider, link.remote_race_id, link.remote_event_id,
         link.high_water, link.high_water_ids, link.result_set_id, link.result_set_final,
         link.preliminary_set_id, Jsonb(link.splits), pulled, pushed),
    )  # fmt: skip


def load_registrations(
    conn: psycopg.Connection[Any], race_id: int, provider: str
) -> dict[int, Known]:
    rows = conn.execute(
        "SELECT registration_id, result_id, bib, chip, fingerprint FROM sync_registrations "
        "WHERE race_id = %s AND provider = %s",
        (race_id, provider),
    ).fetchall()
    return {r[0]: Known(r[1], r[2], r[3], r[4]) for r in rows}


def save_registrations(
    conn: psycopg.Connection[Any],
    race_id: int,
    provider: str,
    rows: list[tuple[int, int | None, str | None, str | None, str, int | None]],
) -> None:
    """Upsert (registration_id, result_id, bib, chip, fingerprint, last_modified) rows."""
    if not rows:
        return
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS p88_sync_reg (registration_id BIGINT, result_id BIGINT, "
        "bib TEXT, chip TEXT, fingerprint TEXT, last_modified BIGINT) ON COMMIT DELETE ROWS"
    )
    with conn.cursor() as cur:
        with cur.copy("COPY p88_sync_reg FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(
            """
            INSERT INTO sync_registrations AS s (race_id, provider, registration_id, result_id,
                bib, chip, fingerprint, last_modified)
            SELECT %s, %s, registration_id, result_id, bib, chip, fingerprint, last_modified
            FROM p88_sync_reg
            ON CONFLICT (race_id, provider, registration_id) DO UPDATE SET
                result_id = EXCLUDED.result_id, bib = EXCLUDED.bib, chip = EXCLUDED.chip,
                fingerprint = EXCLUDED.fingerprint, last_modified = EXCLUDED.last_modified
            """,
            (race_id, provider),
        )
        cur.execute("DELETE FROM p88_sync_reg")


def load_pushed(
    conn: psycopg.Connection[Any], race_id: int, provider: str, result_set_id: int
) -> dict[int, dict[str, Any]]:
    """Entry id -> the row the provider holds for it in that result set."""
    rows = conn.execute(
        "SELECT result_id, posted FROM sync_pushed "
        "WHERE race_id = %s AND provider = %s AND result_set_id = %s",
        (race_id, provider, result_set_id),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def save_pushed(
    conn: psycopg.Connection[Any],
    race_id: int,
    provider: str,
    result_set_id: int,
    held: dict[int, dict[str, Any]],
) -> None:
    """Record what the provider now holds for these entries."""
    if not held:
        return
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS p88_sync_pushed (result_id BIGINT, posted JSONB) "
        "ON COMMIT DELETE ROWS"
    )
    with conn.cursor() as cur:
        with cur.copy("COPY p88_sync_pushed FROM STDIN") as copy:
            for result_id, row in held.items():
                copy.write_row((result_id, json.dumps(row)))
        cur.execute(
            """
            INSERT INTO sync_pushed (race_id, provider, result_set_id, result_id, posted)
            SELECT %s, %s, %s, result_id, posted FROM p88_sync_pushed
            ON CONFLICT (race_id, provider, result_set_id, result_id) DO UPDATE SET
                posted = EXCLUDED.posted, pushed_at = now()
            """,
            (race_id, provider, result_set_id),
        )
        cur.execute("DELETE FROM p88_sync_pushed")


def operator() -> str:
    """Who is running the sync, for the audit: the OS user, or 'unknown'."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def record_changes(
    conn: psycopg.Connection[Any], race_id: int, source: str, changes: list[Change]
) -> None:
    """Append the changes to ``sync_changes``: who, when, which entry, old and new."""
    if not changes:
        return
    by = f"{source} sync ({operator()})"
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO sync_changes (race_id, result_id, registration_id, field, old_value, "
            "new_value, source, changed_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [(race_id, c.result_id, c.registration_id, c.field, c.old, c.new, source, by)
             for c in changes],
        )  # fmt: skip
