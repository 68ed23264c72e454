"""Leaderboard documents: provisional standings by first crossing, per session and point.

Until results scoring exists for a session this is what a display can show: each tag's
first read at the point, earliest first, with the elapsed time from the session's gun when
one was recorded. It runs in a worker thread on one pooled connection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from p88.serve.render import elapsed_text, value_json
from p88.store import reads
from p88.store.results.standings import race_standings

FINISH_NAMES = ("finish", "fin", "finish line")


def pick_location(names: list[str]) -> str | None:
    """The point a display shows by default: the one named finish, else the last by name."""
    for name in names:
        if name.strip().lower() in FINISH_NAMES:
            return name
    return names[-1] if names else None


def leaderboard_json(
    conn: psycopg.Connection[Any],
    *,
    session_id: int | None,
    location: str | None,
    limit: int,
    partner_id: int | None,
) -> dict[str, Any] | None:
    """The leaderboard document, or ``None`` when the session does not exist for the caller."""
    if session_id is None:
        session_id = reads.current_session_id(conn, partner_id=partner_id)
        if session_id is None:
            return None
    exists, owner = reads.session_partner(conn, session_id)
    if not exists or (partner_id is not None and owner != partner_id):
        return None
    names = reads.locations(conn, session_id)
    point = location if location is not None else pick_location(names)
    crossings = reads.first_crossings(conn, session_id, point, limit=limit) if point else []
    return {
        "success": True,
        "source": "first_crossing",
        "session_id": session_id,
        "location": point,
        "locations": names,
        "races": [
            {"id": r.id, "name": r.name, "event_name": r.event_name, "distance_m": r.distance_m}
            for r in reads.session_races(conn, session_id)
        ],
        "standings": [
            {
                "place": c.place,
                "tag_code": c.tag_code,
                "read_id": c.read_id,
                "read_time": value_json(c.read_time),
                "read_timestamp": value_json(c.read_timestamp),
                "elapsed": elapsed_text(c.elapsed_s),
                "elapsed_seconds": c.elapsed_s,
            }
            for c in crossings
        ],
        "generated_at": datetime.now().isoformat(),
    }


def race_leaderboard_json(
    conn: psycopg.Connection[Any],
    *,
    race_id: int,
    sex: str | None,
    age_group: str | None,
    limit: int,
    partner_id: int | None,
) -> dict[str, Any] | None:
    """Race standings from results scoring, or ``None`` if the race is not the caller's."""
    race = reads.race_info(conn, race_id)
    if race is None or (partner_id is not None and race.partner_id != partner_id):
        return None
    rows = race_standings(
        conn, race_id, sex=sex, age_group=age_group, limit=reads.clamp_limit(limit)
    )
    return {
        "success": True,
        "source": "results",
        "race": {
            "id": race.id,
            "name": race.name,
            "event_name": race.event_name,
            "distance_m": race.distance_m,
            "place_by": race.place_by,
            "session_id": race.session_id,
        },
        "filters": {"sex": sex, "age_group": age_group},
        "standings": [
            {
                "place": {"sex": s.sex_place, "age_group": s.age_group_place}.get(
                    "age_group" if age_group else "sex" if sex else "", s.place
                ),
                "overall_place": s.place,
                "bib": s.bib,
                "tag_code": s.tag_code or s.bib,
                "name": s.name,
                "sex": s.sex,
                "age_group": s.age_group,
                "sex_place": s.sex_place,
                "age_group_place": s.age_group_place,
                "chip_time": elapsed_text(s.chip_time.total_seconds()) if s.chip_time else None,
                "gun_time": elapsed_text(s.gun_time.total_seconds()) if s.gun_time else None,
                "status": s.status,
            }
            for s in rows
        ],
        "generated_at": datetime.now().isoformat(),
    }
