"""Races as the commands name them: creating one, finding a session."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from p88.errors import P88Error

if TYPE_CHECKING:
    import psycopg

_DISTANCES = {"marathon": 42195, "half": 21098, "halfmarathon": 21098}
_UNITS = {"k": 1000.0, "km": 1000.0, "m": 1.0, "mi": 1609.344, "mile": 1609.344, "miles": 1609.344}


def parse_distance(text: str) -> int:
    """'10K', '5km', '13.1mi', 'half', 'marathon', '42195' -> metres."""
    key = re.sub(r"[\s_-]", "", text.lower())
    if key in _DISTANCES:
        return _DISTANCES[key]
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(k|km|m|mi|mile|miles)?", key)
    if not m:
        raise P88Error(f"distance {text!r} not understood", hint="e.g. 5K, 10km, 13.1mi, half")
    metres = round(float(m[1]) * _UNITS[m[2] or "m"])
    if metres <= 0:
        raise P88Error(f"distance {text!r} must be positive")
    return metres


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
    """A timing session by name or by id (``p88.store.find_session``), or P88Error."""
    from p88.store.queries.plan import run
    from p88.store.queries.sessions import find_session

    found = run(conn, find_session(text))
    if found is None:
        raise P88Error(
            f"no timing session {text!r}", hint="p88 serve or SELECT from timing_sessions"
        )
    return found
