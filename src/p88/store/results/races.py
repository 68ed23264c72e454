"""Races as the commands name them: creating one, finding a session."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from p88.errors import InputError, UnknownRace

if TYPE_CHECKING:
    import psycopg


def ensure_race(
    conn: psycopg.Connection[Any],
    *,
    partner: str,
    event: str,
    event_date: date,
    race: str,
    distance_m: int,
    start: time | None = None,
    city: str | None = None,
    state: str | None = None,
) -> int:
    """The id of the race, creating its partner, event and the race itself when missing."""
    with conn.transaction():
        code = re.sub(r"[^a-z0-9]+", "-", partner.lower()).strip("-") or "partner"
        row = conn.execute(
            "INSERT INTO timing_partners (name, code) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
            (partner, code),
        ).fetchone()
        assert row is not None
        partner_id = row[0]
        found = conn.execute(
            "SELECT id FROM ct_events WHERE partner_id = %s AND lower(name) = lower(%s) "
            "AND event_date = %s",
            (partner_id, event, event_date),
        ).fetchone()
        if found:
            event_id = found[0]
        else:
            new = conn.execute(
                "INSERT INTO ct_events (partner_id, name, event_date, city, state) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (partner_id, event, event_date, city, state),
            ).fetchone()
            assert new is not None
            event_id = new[0]
        existing = conn.execute(
            "SELECT id FROM ct_races WHERE event_id = %s AND lower(name) = lower(%s)",
            (event_id, race),
        ).fetchone()
        if existing:
            return int(existing[0])
        start_at = datetime.combine(event_date, start) if start else None
        created = conn.execute(
            "INSERT INTO ct_races (partner_id, event_id, name, distance_m, start_time) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (partner_id, event_id, race, distance_m, start_at),
        ).fetchone()
        assert created is not None
        return int(created[0])


def resolve_session(conn: psycopg.Connection[Any], text: str) -> int:
    """A timing session by name or by id (``p88.store.find_session``), or InputError."""
    from p88.store.queries.plan import run
    from p88.store.queries.sessions import find_session

    found = run(conn, find_session(text))
    if found is None:
        raise InputError(
            f"no timing session {text!r}",
            hint="p88 serve or SELECT from timing_sessions",
            what="timing session",
            where="--session",
        )
    return found


def race_day(conn: psycopg.Connection[Any], race_id: int) -> tuple[date, datetime | None]:
    """The race's date and scheduled start: what dates a capture that has no date of its
    own (``p88 import --race``, ``p88 replay --race``)."""
    row = conn.execute(
        "SELECT e.event_date, r.start_time FROM ct_races r JOIN ct_events e ON e.id = r.event_id "
        "WHERE r.id = %s",
        (race_id,),
    ).fetchone()
    if row is None:
        raise UnknownRace(race_id)
    return row[0], row[1]
