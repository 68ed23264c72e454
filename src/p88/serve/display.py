"""The display API: crossings, the announcer's list, chip checks, and their live stream.

- ``GET /api/display/context``: the session a display shows (the current one unless
  ``session_id``), its points and the point to show first.
- ``GET /api/display/crossings``: the newest crossings (one row per runner per point).
- ``GET /api/display/coming-up``: runners coming up to the finish, with projections.
- ``GET /api/display/stream?kind=crossing|check``: live ``event: crossing`` (every new
  crossing) or ``event: check`` (every read at a chip-check point with who the tag belongs
  to) as Server-Sent Events; ``Last-Event-ID`` catches up crossings missed while away.
- ``GET /api/display/settings``: the server's display settings (colours, logo).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from p88 import store
from p88.serve.auth import Scope
from p88.serve.db import Database
from p88.serve.deps import DbDep, LocationParam, ScopeDep, SessionParam, require_session
from p88.serve.display_feed import DisplayFeed, Watcher, sse_event
from p88.serve.display_json import coming_up_json, crossing_json
from p88.serve.errors import bad_request, documented, not_found
from p88.serve.stream import HEARTBEAT_S, MAX_CLIENTS, RETRY_MS

router = APIRouter(tags=["display"], responses=documented(400, 401, 404, 503))

#: A chip-check point is one whose name says so.
CHECK_WORD = "check"
CATCHUP_MAX = 5_000
LimitParam = Annotated[int, Query(ge=1, le=store.MAX_LIMIT, description="how many")]


def get_feed(request: Request) -> DisplayFeed:
    feed: DisplayFeed = request.app.state.display_feed
    return feed


async def _session(db: Database, scope: Scope, session_id: int | None) -> int:
    """The session asked for (404 unless the caller's), else the current one."""
    if session_id is not None:
        await require_session(db, scope, session_id)
        return session_id
    current = await db.run(store.run, store.current_session(partner_id=scope.partner_id))
    if current is None:
        raise not_found("no active session")
    return int(current)


def context_doc(conn: Any, session_id: int, location: str | None) -> dict[str, Any]:
    """The session's name, points, races and the point a display shows first."""
    summary = store.run(conn, store.session_summary(session_id))
    points = store.run(conn, store.location_order(session_id))
    checks = [p for p in points if CHECK_WORD in p.lower()]
    return {
        "session_id": session_id,
        "session_name": summary.session_name if summary is not None else None,
        "locations": points,
        "point": location or store.default_point(points),
        "check_point": location or (checks[0] if checks else None),
        "races": [
            {"id": r.id, "name": r.name, "distance_m": r.distance_m}
            for r in store.run(conn, store.session_races(session_id))
        ],
    }


@router.get("/api/display/context", summary="The session and point a display shows")
async def context(
    scope: ScopeDep, db: DbDep, session_id: SessionParam = None, location: LocationParam = None
) -> dict[str, Any]:
    """Without ``session_id`` the current session; ``point`` is ``location`` or the
    session's finish (by name, else its last point)."""
    sid = await _session(db, scope, session_id)
    return {"success": True, **await db.run(context_doc, sid, location)}


def _crossings(conn: Any, session_id: int, point: str | None, limit: int) -> list[Any]:
    roster = store.run(conn, store.load_roster(session_id))
    plan = store.recent_crossings(session_id, roster, point=point, limit=limit)
    return [crossing_json(c) for c in store.run(conn, plan)]


@router.get("/api/display/crossings", summary="The newest crossings (not reads)")
async def recent(
    scope: ScopeDep,
    db: DbDep,
    session_id: SessionParam = None,
    location: LocationParam = None,
    limit: LimitParam = 50,
) -> dict[str, Any]:
    """One row per runner per point (scoring's crossing rule), oldest first, with name,
    bib, point, time of day, elapsed, place at the point and pace."""
    sid = await _session(db, scope, session_id)
    rows = await db.run(_crossings, sid, location, limit)
    return {"success": True, "session_id": sid, "crossings": rows}


def _coming_up(conn: Any, session_id: int, finish: str | None, limit: int) -> dict[str, Any]:
    roster = store.run(conn, store.load_roster(session_id))
    found = store.run(conn, store.coming_up(session_id, roster, finish=finish, limit=limit))
    return {
        "finish": finish or store.default_point(list(roster.locations)),
        "runners": [coming_up_json(u) for u in found],
    }


@router.get("/api/display/coming-up", summary="Runners coming up to the finish")
async def coming_up(
    scope: ScopeDep,
    db: DbDep,
    session_id: SessionParam = None,
    finish: LocationParam = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """Runners past a split and not yet finished, by projected arrival (even pace), with
    a marker for those leading their division at their split."""
    sid = await _session(db, scope, session_id)
    return {"success": True, "session_id": sid, **await db.run(_coming_up, sid, finish, limit)}


@router.get("/api/display/settings", summary="The server's display settings")
async def settings(request: Request, scope: ScopeDep) -> dict[str, Any]:
    """Default colours and whether a logo is served at /display/logo."""
    options = request.app.state.display_options
    return {"success": True, "colors": options.colors, "logo": options.logo is not None}


def _catchup(conn: Any, session_id: int, point: str | None, after: int) -> list[tuple[int, str]]:
    roster = store.run(conn, store.load_roster(session_id))
    found = store.run(
        conn, store.crossings(session_id, roster, points=None if point is None else [point])
    )
    missed = sorted((c for c in found if c.read_id > after), key=lambda c: c.read_id)
    return [
        (c.read_id, sse_event("crossing", c.read_id, crossing_json(c)))
        for c in missed[:CATCHUP_MAX]
    ]


@router.get(
    "/api/display/stream",
    summary="Live crossings or chip checks as Server-Sent Events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an SSE stream"}},
)
async def stream(
    request: Request,
    scope: ScopeDep,
    db: DbDep,
    kind: Annotated[Literal["crossing", "check"], Query(description="what to stream")] = (
        "crossing"
    ),
    session_id: SessionParam = None,
    location: LocationParam = None,
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
) -> StreamingResponse:
    """``event: crossing`` for each new crossing (of ``location``, else every point), or
    ``event: check`` for each read at a chip-check point (``location``, else the point
    whose name contains 'check'). ``id:`` is the read id."""
    sid = await _session(db, scope, session_id)
    point = location
    if kind == "check" and point is None:
        point = (await db.run(context_doc, sid, None))["check_point"]
        if point is None:
            raise bad_request("no chip-check point: name one with location=")
    after: int | None = None
    if last_event_id is not None and last_event_id.strip():
        if not last_event_id.strip().isdigit():
            raise bad_request("Last-Event-ID must be a read id (digits)")
        after = int(last_event_id.strip())
    feed = get_feed(request)
    if len(feed.watchers) >= MAX_CLIENTS:
        raise HTTPException(503, f"too many live clients (limit {MAX_CLIENTS}); retry later")
    watcher = feed.watch(kind, sid, point)
    try:
        missed = await db.run(_catchup, sid, point, after) if after and kind == "crossing" else []
    except BaseException:
        feed.unwatch(watcher)
        raise
    return StreamingResponse(
        _events(feed, watcher, missed),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    feed: DisplayFeed, watcher: Watcher, missed: list[tuple[int, str]]
) -> AsyncIterator[str]:
    sent = {i for i, _ in missed}
    try:
        yield f"retry: {RETRY_MS}\n\n"
        if missed:
            yield "".join(text for _, text in missed)
        while True:
            try:
                batch = await asyncio.wait_for(watcher.take(), HEARTBEAT_S)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            if batch is None:
                return
            fresh = [e.text for e in batch if e.id not in sent]
            if fresh:
                yield "".join(fresh)
    finally:
        feed.unwatch(watcher)
