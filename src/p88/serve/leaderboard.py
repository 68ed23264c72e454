"""Leaderboard documents: standings at a timing point, or a race's official standings.

Standings at a point are the store's ``point_standings`` (the same the TUI shows): each
runner's first crossing by scoring's rule, timed from their gun or wave start. A race's
standings are the places results scoring stored. Each runs in a worker thread on one
pooled connection.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg

from p88 import store
from p88.serve.render import elapsed_text, value_json


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
        session_id = store.run(conn, store.current_session(partner_id=partner_id))
        if session_id is None:
            return None
    exists, owner = store.run(conn, store.session_partner(session_id))
    if not exists or (partner_id is not None and owner != partner_id):
        return None
    roster = store.run(conn, store.load_roster(session_id))
    names = list(roster.locations)
    point = location if location is not None else store.default_point(names)
    standings: list[store.PointStanding] = []
    if point:
        plan = store.point_standings(session_id, point, roster, limit=store.clamp_limit(limit))
        standings = store.run(conn, plan)
    return {
        "success": True,
        "source": "first_crossing",
        "session_id": session_id,
        "location": point,
        "locations": names,
        "races": [
            {"id": r.id, "name": r.name, "event_name": r.event_name, "distance_m": r.distance_m}
            for r in store.run(conn, store.session_races(session_id))
        ],
        "standings": [
            {
                "place": s.place,
                "tag_code": s.bib,
                "name": s.name,
                "read_id": s.read_id,
                "read_time": value_json(s.crossed_at.time()),
                "read_timestamp": value_json(s.crossed_at),
                "elapsed": elapsed_text(_seconds(s.time)),
                "elapsed_seconds": _seconds(s.time),
            }
            for s in standings
        ],
        "generated_at": datetime.now().isoformat(),
    }


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


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
    race = store.run(conn, store.race_summary(race_id))
    if race is None or (partner_id is not None and race.partner_id != partner_id):
        return None
    rows = store.run(
        conn,
        store.official_standings(
            race_id, sex=sex, age_group=age_group, limit=store.clamp_limit(limit)
        ),
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
