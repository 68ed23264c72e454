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
