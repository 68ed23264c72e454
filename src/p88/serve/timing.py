"""The seed's four timing endpoints, same field names and shapes, plus the leaderboard."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from p88 import store
from p88.serve.db import DatabaseGone
from p88.serve.deps import (
    INT4_MAX,
    DbDep,
    LocationParam,
    ScopeDep,
    SessionParam,
    TagParam,
    require_session,
)
from p88.serve.errors import bad_request, documented, failure, not_found
from p88.serve.leaderboard import leaderboard_json, race_leaderboard_json
from p88.serve.render import read_json, value_json

router = APIRouter(tags=["timing"], responses=documented(400, 401, 503))

LimitParam = Annotated[
    int,
    Query(
        ge=1, le=10**9, description=f"how many reads, newest first (capped at {store.MAX_LIMIT})"
    ),
]


def _now() -> str:
    return datetime.now().isoformat()


@router.get("/api/timing/database-status", summary="Is the database reachable")
async def database_status(scope: ScopeDep, db: DbDep) -> Any:
    """The seed's status document; 503 with ``connected: false`` and the reason when down."""
    try:
        status = await db.run(store.run, store.database_status(partner_id=scope.partner_id))
    except DatabaseGone as exc:
        return failure(
            503,
            exc.message,
            database_enabled=True,
            connected=False,
            current_session=None,
            database_version=None,
        )
    return {
        "database_enabled": True,
        "connected": status.connected,
        "current_session": status.current_session,
        "database_version": status.database_version,
        "error": status.error,
    }


@router.get(
    "/api/timing/stats",
    summary="Read totals, overall and per location",
    responses=documented(404),
)
async def stats(
    scope: ScopeDep,
    db: DbDep,
    session_id: SessionParam = None,
) -> dict[str, Any]:
    """Total reads, unique tags, locations, first and last read; then the same per location.
    An unknown session (or another partner's) is 404."""
    await require_session(db, scope, session_id)
    result = await db.run(
        store.run, store.stats(session_id=session_id, partner_id=scope.partner_id)
    )
    return {
        "success": True,
        "overall": {k: value_json(v) for k, v in asdict(result.overall).items()},
        "by_location": [
            {k: value_json(v) for k, v in asdict(loc).items()} for loc in result.by_location
        ],
        "generated_at": _now(),
    }


@router.get("/api/timing/recent-reads", summary="The newest reads")
async def recent_reads(
    scope: ScopeDep,
    db: DbDep,
    limit: LimitParam = store.DEFAULT_LIMIT,
    session_id: SessionParam = None,
    location: LocationParam = None,
    tag: TagParam = None,
) -> dict[str, Any]:
    """Every column of each read plus location_description, session_name and seconds_ago;
    ``read_time`` to the hundredth (HH:MM:SS.hh)."""
    rows = await db.run(
        store.run,
        store.recent_reads(
            limit=limit,
            session_id=session_id,
            location=location,
            tag=tag,
            partner_id=scope.partner_id,
        ),
    )
    return {"success": True, "reads": [read_json(r) for r in rows], "timestamp": _now()}


@router.get("/api/timing/sessions", summary="Timing sessions with their read counts")
async def sessions(scope: ScopeDep, db: DbDep) -> dict[str, Any]:
    """Every session the caller may see, newest first."""
    rows = await db.run(store.run, store.list_sessions(partner_id=scope.partner_id))
    return {
        "success": True,
        "sessions": [{k: value_json(v) for k, v in asdict(s).items()} for s in rows],
    }


@router.get(
    "/api/timing/leaderboard", summary="Standings at a timing point", responses=documented(404)
)
async def leaderboard(
    scope: ScopeDep,
    db: DbDep,
    session_id: SessionParam = None,
    location: LocationParam = None,
    race_id: Annotated[
        int | None, Query(ge=1, le=INT4_MAX, description="standings of this race (results)")
    ] = None,
    sex: Annotated[Literal["M", "F", "X"] | None, Query(description="race: only this sex")] = None,
    age_group: Annotated[
        str | None, Query(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9 +\-]+$")
    ] = None,
    limit: LimitParam = store.DEFAULT_LIMIT,
) -> dict[str, Any]:
    """With ``race_id``: the race's standings from results scoring (places as
    ``p88 results score`` wrote them; ``sex``/``age_group`` filter). Otherwise provisional
    standings at a timing point: each runner's first crossing, ranked by time from their
    gun or wave start (without ``session_id`` the current session; without ``location``
    its finish)."""
    if race_id is not None:
        if session_id is not None or location is not None:
            raise bad_request("give race_id, or session_id/location, not both")
        race_board = await db.run(
            race_leaderboard_json,
            race_id=race_id,
            sex=sex,
            age_group=age_group,
            limit=limit,
            partner_id=scope.partner_id,
        )
        if race_board is None:
            raise not_found("no such race")
        return race_board
    if sex is not None or age_group is not None:
        raise bad_request("sex and age_group filter a race's standings: give race_id")
    board = await db.run(
        leaderboard_json,
        session_id=session_id,
        location=location,
        limit=limit,
        partner_id=scope.partner_id,
    )
    if board is None:
        raise not_found("no such session" if session_id is not None else "no active session")
    return board
