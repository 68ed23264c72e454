"""``GET /api/timing/stream``: Server-Sent Events, one per committed read, to every client.

A client that sends ``Last-Event-ID`` (EventSource does on reconnect; ``?last_event_id=``
does the same for a first connection) first gets every read after that id from the
database, then the live ones from the hub, with nothing missed or doubled between the two:
it subscribes to the hub BEFORE querying, and skips live events the catch-up already sent.
A comment line every ``HEARTBEAT_S`` keeps proxies and load balancers from closing an idle
stream. If the database goes away mid-stream the stream ends; EventSource reconnects with
its last id and gets 503 until the database is back, then everything it missed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import StreamingResponse

from p88 import store
from p88.serve.auth import Scope
from p88.serve.db import Database, DatabaseGone
from p88.serve.deps import DbDep, HubDep, LocationParam, ScopeDep, SessionParam
from p88.serve.errors import bad_request, documented
from p88.serve.hub import LOOKBACK, Event, Hub, Subscriber, sse_text

HEARTBEAT_S = 15.0
RETRY_MS = 2000
MAX_CLIENTS = 1000
# A client far behind gets at most this many reads per connection, then the stream ends
# with a short retry: EventSource reconnects with its Last-Event-ID and carries on. No read
# is skipped, and one reconnecting client cannot pin a worker on millions of rows.
CATCHUP_PER_CONNECTION = 20_000
_ID = re.compile(r"^\d{1,18}$")

router = APIRouter(tags=["live"])


def event_filter(
    scope: Scope, session_id: int | None, location: str | None
) -> Callable[[Event], bool]:
    """Which live events one client receives: its tenant, and its optional filters."""

    def accepts(event: Event) -> bool:
        if scope.partner_id is not None and event.partner_id != scope.partner_id:
            return False
        if session_id is not None and event.session_id != session_id:
            return False
        return location is None or event.location_name == location

    return accepts


def _resume_id(header: str | None, query: int | None) -> int | None:
    if header is not None and header.strip():
        if not _ID.match(header.strip()):
            raise bad_request("Last-Event-ID must be a read id (digits)")
        return int(header.strip())
    return query


@router.get(
    "/api/timing/stream",
    summary="Live reads as Server-Sent Events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "an SSE stream"},
        **documented(400, 401, 503),
    },
)
async def stream(
    scope: ScopeDep,
    db: DbDep,
    hub: HubDep,
    session_id: SessionParam = None,
    location: LocationParam = None,
    last_event_id_q: Annotated[
        int | None,
        Query(alias="last_event_id", ge=0, le=10**18, description="resume after this read id"),
    ] = None,
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
) -> StreamingResponse:
    """One event per committed read (``id:`` the read id, ``data:`` the read as in
    recent-reads) to every connected client; ``Last-Event-ID`` resumes without a gap."""
    after = _resume_id(last_event_id, last_event_id_q)
    if len(hub.subscribers) >= MAX_CLIENTS:
        raise HTTPException(503, f"too many live clients (limit {MAX_CLIENTS}); retry later")
    sub = hub.subscribe(event_filter(scope, session_id, location))
    filters: dict[str, Any] = {
        "session_id": session_id,
        "location": location,
        "partner_id": scope.partner_id,
    }
    first: list[dict[str, Any]] = []
    try:
        if after is not None:  # the first page now, so an outage is a 503, not a broken stream
            first = await db.run(store.run, store.reads_after(after, **filters))
    except BaseException:
        hub.unsubscribe(sub)
        raise
    return StreamingResponse(
        _events(sub, hub, db, first, filters, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    sub: Subscriber,
    hub: Hub,
    db: Database,
    page: list[dict[str, Any]],
    filters: dict[str, Any],
    after: int | None,
) -> AsyncIterator[str]:
    """Catch-up pages, then live batches. A live event is skipped if the client has it:
    its id is at or below the Last-Event-ID it sent, or the catch-up already sent it."""
    sent: set[int] = set()
    caught_max = after or 0
    try:
        yield f"retry: {RETRY_MS}\n\n"
        while page:
            sent.update(row["id"] for row in page)
            caught_max = max(caught_max, page[-1]["id"])
            yield "".join(sse_text(row) for row in page)
            if len(page) < store.MAX_LIMIT:
                break
            if len(sent) >= CATCHUP_PER_CONNECTION:
                yield "retry: 100\n\n"  # come straight back for the rest
                return
            try:
                page = await db.run(store.run, store.reads_after(page[-1]["id"], **filters))
            except DatabaseGone:
                return
        while True:
            try:
                batch = await asyncio.wait_for(sub.queue.get(), HEARTBEAT_S)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            if batch is None:
                return
            fresh = [e for e in batch if e.id not in sent and (after is None or e.id > after)]
            if fresh:
                yield "".join(e.text for e in fresh)
            if sent and batch[-1].id > caught_max + LOOKBACK:
                sent = set()  # the hub no longer re-reads ids this low
    finally:
        hub.unsubscribe(sub)
