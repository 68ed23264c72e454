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
from dataclasses import dataclass
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import StreamingResponse

from p88 import store
from p88.serve.auth import Scope
from p88.serve.db import Database, DatabaseGone
from p88.serve.deps import (
    DbDep,
    HubDep,
    LocationParam,
    ScopeDep,
    SessionParam,
    require_session,
)
from p88.serve.errors import bad_request, documented
from p88.serve.hub import LOOKBACK, Event, Hub, Subscriber, sse_text

HEARTBEAT_S = 15.0
RETRY_MS = 2000
MAX_CLIENTS = 1000
#: Reads per catch-up query: a page is rendered to text at once and its rows let go.
CATCHUP_PAGE = 200
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
        **documented(400, 401, 404, 503),
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
    await require_session(db, scope, session_id)
    if len(hub.subscribers) >= MAX_CLIENTS:
        raise HTTPException(503, f"too many live clients (limit {MAX_CLIENTS}); retry later")
    sub = hub.subscribe(event_filter(scope, session_id, location))
    filters: dict[str, Any] = {
        "session_id": session_id,
        "location": location,
        "partner_id": scope.partner_id,
    }
    first: Page | None = None
    try:
        if after is not None:  # the first page now, so an outage is a 503, not a broken stream
            first = await _page(hub, db, after, filters)
    except BaseException:
        hub.unsubscribe(sub)
        raise
    return StreamingResponse(
        _events(sub, hub, db, first, filters, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@dataclass(frozen=True)
class Page:
    """One catch-up page, already rendered: its SSE text, ids and row count."""

    text: str
    ids: tuple[int, ...]

    @property
    def full(self) -> bool:
        return len(self.ids) >= CATCHUP_PAGE


def catchup_page(
    conn: psycopg.Connection[Any], after: int, filters: dict[str, Any]
) -> list[dict[str, Any]]:
    """Up to ``CATCHUP_PAGE`` reads after ``after``, oldest first (keyset on the read id)."""
    return store.run(conn, store.reads_after(after, limit=CATCHUP_PAGE, **filters))


async def _page(hub: Hub, db: Database, after: int, filters: dict[str, Any]) -> Page:
    """Fetch and render one page while holding one of the hub's catch-up slots: however many
    clients catch up at once, at most ``CATCHUP_SLOTS`` pages of rows are in memory, and a
    client keeps only its rendered text until it has been sent."""
    async with hub.catchup_slots:
        rows = await db.run(catchup_page, after, filters)
        return Page("".join(sse_text(r) for r in rows), tuple(r["id"] for r in rows))


async def _events(
    sub: Subscriber,
    hub: Hub,
    db: Database,
    page: Page | None,
    filters: dict[str, Any],
    after: int | None,
) -> AsyncIterator[str]:
    """Catch-up pages, then live batches. A live event is skipped if the client has it:
    its id is at or below the Last-Event-ID it sent, or the catch-up already sent it.

    Only catch-up ids above the hub's floor are remembered for that check (the hub never
    delivers an id at or below its floor), so a client far behind remembers nothing and
    one near the head at most the hub's ``LOOKBACK`` window."""
    sent: set[int] = set()
    caught_up = 0
    try:
        yield f"retry: {RETRY_MS}\n\n"
        while page is not None and page.ids:
            floor = hub.floor
            sent.update(i for i in page.ids if floor is None or i > floor)
            if floor is not None and len(sent) > LOOKBACK:
                sent = {i for i in sent if i > floor}
            caught_up += len(page.ids)
            yield page.text
            if not page.full:
                break
            if caught_up >= CATCHUP_PER_CONNECTION:
                yield "retry: 100\n\n"  # come straight back for the rest
                return
            try:
                page = await _page(hub, db, page.ids[-1], filters)
            except DatabaseGone:
                return
        page = None
        while True:
            try:
                batch = await asyncio.wait_for(sub.take(), HEARTBEAT_S)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            if batch is None:
                return
            fresh = [e for e in batch if e.id not in sent and (after is None or e.id > after)]
            if fresh:
                yield "".join(e.text for e in fresh)
            if sent and hub.floor is not None and hub.floor >= max(sent):
                sent = set()  # the hub no longer re-reads ids this low
    finally:
        hub.unsubscribe(sub)
