"""Live fan-out: one LISTEN connection for the whole server, every read to every client.

The listener sends one NOTIFY on ``p88.store.live.CHANNEL`` per committed batch. The hub
wakes on it (no polling), fetches the reads it has not delivered yet (``id`` above a floor)
ONCE, renders each as an SSE event ONCE, and puts the batch on every subscriber's queue.

Ids come from a sequence, so concurrent writers can commit them out of order (id 100 may
become visible after id 105). The hub therefore re-reads ids in a window of ``LOOKBACK``
below the highest it has seen and remembers which of those it already delivered: a late
commit is still delivered, and none twice. A subscriber whose queue fills up (a client that
stopped reading) is dropped; its EventSource reconnects with ``Last-Event-ID`` and catches up
from the database, so nothing is lost and a slow client never holds up the others.

If the LISTEN connection fails the hub reconnects with backoff (``store.live.follow``); on
reconnect it fetches everything above its floor, so reads committed during the outage are
delivered too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from p88 import store
from p88.serve.db import Database, DatabaseGone
from p88.serve.render import read_json
from p88.store import Connected, Disconnected, follow

log = logging.getLogger("p88.serve")

LOOKBACK = 5_000
#: Live events one stream may have waiting; past this it is dropped (see ``Subscriber``).
#: Events are rendered once and shared, so a queue holds references: ~8 bytes an event.
QUEUE_EVENTS = 20_000
#: Streams catching up from the database at the same moment (each holds one page).
CATCHUP_SLOTS = 8
FETCH_CHUNK = 1_000
LIVENESS_S = 5.0
RETRY_S = (0.2, 0.4, 0.8, 1.6, 3.2, 5.0)


@dataclass(frozen=True)
class Event:
    """One read, rendered once for every client: its id, session, location and SSE text."""

    id: int
    session_id: int
    location_name: str
    partner_id: int | None
    text: str


@dataclass(eq=False)
class Subscriber:
    """One connected stream: its filters and its queue of event batches.

    The queue is bounded in events, not batches (one batch can hold thousands): at most
    ``limit`` events wait for a client. One that falls further behind is dropped; its
    stream ends after the last event it was sent, whose ``id:`` is what its EventSource
    resumes from, so the client loses nothing and the server holds nothing for it."""

    accepts: Callable[[Event], bool]
    limit: int = QUEUE_EVENTS
    queue: asyncio.Queue[list[Event] | None] = field(default_factory=asyncio.Queue)
    queued: int = 0
    dropped: bool = False

    def offer(self, batch: list[Event]) -> bool:
        """Queue ``batch`` unless it would pass the bound; ``False`` means drop this client."""
        if self.queued + len(batch) > self.limit:
            return False
        self.queued += len(batch)
        self.queue.put_nowait(batch)
        return True

    async def take(self) -> list[Event] | None:
        """The next batch (``None``: the stream was dropped and must end)."""
        batch = await self.queue.get()
        if batch is not None:
            self.queued -= len(batch)
        return batch


def sse_text(row: dict[str, Any]) -> str:
    """A read as one SSE message: ``id`` is the read id, ``data`` the read as JSON."""
    return f"id: {row['id']}\ndata: {json.dumps(read_json(row), separators=(',', ':'))}\n\n"


class Hub:
    """The server's single LISTEN connection and the set of connected streams."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.subscribers: set[Subscriber] = set()
        self.listening = False
        self.floor: int | None = None
        self._max_seen = 0
        self._delivered: set[int] = set()
        self._partners: dict[int, int | None] = {}
        self._wake = asyncio.Event()
        self.catchup_slots = asyncio.Semaphore(CATCHUP_SLOTS)
        self.queue_events = QUEUE_EVENTS
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="p88-hub-listen"),
            asyncio.create_task(self._deliver(), name="p88-hub-deliver"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for sub in list(self.subscribers):
            self._drop(sub)

    def subscribe(self, accepts: Callable[[Event], bool]) -> Subscriber:
        sub = Subscriber(accepts, self.queue_events)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def _drop(self, sub: Subscriber) -> None:
        """End a stream: it reconnects and catches up from the database by itself."""
        self.subscribers.discard(sub)
        sub.dropped = True
        sub.queue.put_nowait(None)

    async def _listen(self) -> None:
        """Wake the deliverer on every NOTIFY, and on every (re)connect so that reads
        committed while the link was down are delivered too (``store.live.follow``)."""
        async for event in follow(
            self.db.url, application_name="p88 serve listen", retry_s=RETRY_S, health_s=LIVENESS_S
        ):
            if isinstance(event, Disconnected):
                if self.listening:
                    log.warning("live updates paused: %s", event.reason)
                self.listening = False
                continue
            if isinstance(event, Connected):
                self.listening = True
            self._wake.set()

    async def _deliver(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                events = await self.db.run(self._fetch)
            except DatabaseGone:
                await asyncio.sleep(0.5)
                self._wake.set()
                continue
            if events:
                self._publish(events)

    def _publish(self, events: list[Event]) -> None:
        for sub in list(self.subscribers):
            mine = [e for e in events if sub.accepts(e)]
            if not mine:
                continue
            if not sub.offer(mine):
                self._drop(sub)

    def _fetch(self, conn: psycopg.Connection[Any]) -> list[Event]:
        """Runs in a worker thread: the reads not yet delivered, rendered once."""
        if self.floor is None:
            self.floor = store.run(
                conn, store.max_read_id()
            )  # history belongs to catch-up, not to live
            self._max_seen = self.floor
            return []
        ids = store.run(conn, store.read_ids_after(self.floor))
        new = [i for i in ids if i not in self._delivered]
        events: list[Event] = []
        for start in range(0, len(new), FETCH_CHUNK):
            rows = store.run(conn, store.reads_by_ids(new[start : start + FETCH_CHUNK]))
            unknown = {r["session_id"] for r in rows} - self._partners.keys()
            if unknown:
                self._partners.update(store.run(conn, store.session_partners(sorted(unknown))))
            events.extend(
                Event(
                    r["id"],
                    r["session_id"],
                    r["location_name"],
                    self._partners.get(r["session_id"]),
                    sse_text(r),
                )
                for r in rows
            )
        self._delivered.update(new)
        if ids:
            self._max_seen = max(self._max_seen, ids[-1])
        floor = max(self.floor, self._max_seen - LOOKBACK)
        if floor != self.floor:
            self.floor = floor
            self._delivered = {i for i in self._delivered if i > floor}
        return events
