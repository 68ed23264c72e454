"""The displays' live fan-out: crossings (runner cards, the crossings list) and chip checks.

It rides on the server's one LISTEN connection (``Hub``): it is one more hub subscriber,
started with the first display stream. For each batch of committed reads it asks the
store, once per (session, point) that some display watches, which of those reads are a
runner's crossing by scoring's rule (:func:`p88.store.crossings` with ``read_ids``), and
who each tag at a chip-check point belongs to (:func:`p88.store.tag_assignments`); it
renders each answer once as an SSE event (``event: crossing`` / ``event: check``) and
queues it for every display stream that wants it. A display that stops reading is dropped
past ``QUEUE_EVENTS`` and reconnects with its ``Last-Event-ID``, as reads streams do.

The session's roster (entries, races, points) is re-read at most every ``ROSTER_TTL_S``;
messages and VIP flags are read with every batch, so an edit shows for the next crossing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import psycopg

from p88 import store
from p88.serve.db import Database, DatabaseGone
from p88.serve.display_json import assignment_json, crossing_json
from p88.serve.hub import Event, Hub, Subscriber

log = logging.getLogger("p88.serve")

Kind = Literal["crossing", "check"]
QUEUE_EVENTS = 5_000
ROSTER_TTL_S = 3.0
#: The hub may hold this many reads for the feed before it is dropped (and restarted).
FEED_QUEUE = 200_000


@dataclass(frozen=True)
class DisplayEvent:
    """One rendered display event and what it is about."""

    kind: Kind
    id: int
    session_id: int
    point: str
    text: str


@dataclass(eq=False)
class Watcher:
    """One display stream: what it watches, and its queue of rendered events."""

    kind: Kind
    session_id: int
    point: str | None
    queue: asyncio.Queue[list[DisplayEvent] | None] = field(default_factory=asyncio.Queue)
    queued: int = 0

    def wants(self, kind: Kind, session_id: int, point: str) -> bool:
        return (
            kind == self.kind
            and session_id == self.session_id
            and (self.point is None or self.point == point)
        )

    async def take(self) -> list[DisplayEvent] | None:
        batch = await self.queue.get()
        if batch is not None:
            self.queued -= len(batch)
        return batch


def sse_event(kind: Kind, event_id: int, doc: dict[str, Any]) -> str:
    """One SSE message with an event type (EventSource ``addEventListener(kind)``)."""
    data = json.dumps(doc, separators=(",", ":"))
    return f"event: {kind}\nid: {event_id}\ndata: {data}\n\n"


class RosterCache:
    """Each session's roster, re-read when older than ``ROSTER_TTL_S`` (new entries and
    points are seen within seconds; a batch does not pay four queries for them), and the
    standings of its points between batches (``store.Ranking``), dropped with the roster."""

    def __init__(self, ttl_s: float = ROSTER_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._rosters: dict[int, tuple[float, store.Roster]] = {}
        self.rankings: dict[int, dict[str, store.Ranking]] = {}

    def get(self, conn: psycopg.Connection[Any], session_id: int) -> store.Roster:
        now = time.monotonic()
        cached = self._rosters.get(session_id)
        if cached is None or now - cached[0] > self.ttl_s:
            roster = store.run(conn, store.load_roster(session_id))
            if cached is None or roster != cached[1]:  # entries, races or points changed
                self.rankings[session_id] = {}
            cached = (now, roster)
            self._rosters[session_id] = cached
        return cached[1]


def render_batch(
    conn: psycopg.Connection[Any],
    rosters: RosterCache,
    groups: dict[tuple[int, str], list[dict[str, Any]]],
    wanted: Callable[[Kind, int, str], bool],
) -> list[DisplayEvent]:
    """Runs in a worker thread: the crossing and check events of one batch of reads,
    grouped by (session, point); only what some watcher wants is computed."""
    out: list[DisplayEvent] = []
    for (session_id, point), reads in groups.items():
        if wanted("crossing", session_id, point):
            roster = rosters.get(conn, session_id)
            found = store.run(
                conn,
                store.crossings(
                    session_id,
                    roster,
                    points=[point],
                    read_ids=[r["id"] for r in reads],
                    rankings=rosters.rankings[session_id],
                ),
            )
            out += [
                DisplayEvent(
                    "crossing",
                    c.read_id,
                    session_id,
                    point,
                    sse_event("crossing", c.read_id, crossing_json(c)),
                )
                for c in found
            ]
        if wanted("check", session_id, point):
            tags = sorted({r["tag_code"] for r in reads})
            who = store.run(conn, store.tag_assignments(session_id, tags))
            for r in reads:
                doc = {
                    "read_id": r["id"],
                    "point": point,
                    "read_time": r.get("read_time"),
                    **assignment_json(who[r["tag_code"]]),
                }
                out.append(
                    DisplayEvent(
                        "check", r["id"], session_id, point, sse_event("check", r["id"], doc)
                    )
                )
    out.sort(key=lambda e: e.id)
    return out


class DisplayFeed:
    """The hub subscriber that turns reads into display events (see the module doc)."""

    def __init__(self, hub: Hub, db: Database) -> None:
        self.hub = hub
        self.db = db
        self.watchers: set[Watcher] = set()
        self.rosters = RosterCache()
        self._task: asyncio.Task[None] | None = None
        self._sub: Subscriber | None = None

    def watch(self, kind: Kind, session_id: int, point: str | None) -> Watcher:
        """A new display stream; starts the feed if it is not running."""
        watcher = Watcher(kind, session_id, point)
        self.watchers.add(watcher)
        if self._task is None or self._task.done():
            self._sub = self.hub.subscribe(lambda e: True)
            self._sub.limit = FEED_QUEUE
            self._task = asyncio.create_task(self._run(self._sub), name="p88-display-feed")
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._sub is not None:
            self.hub.unsubscribe(self._sub)

    def _wanted(self, kind: Kind, session_id: int, point: str) -> bool:
        return any(w.wants(kind, session_id, point) for w in list(self.watchers))

    async def _run(self, sub: Subscriber) -> None:
        try:
            while True:
                batch = await sub.take()
                # Under load, every batch that waited is handled in one go: one query per
                # point for all of them, so the feed never falls further behind.
                while batch is not None and not sub.queue.empty():
                    more = await sub.take()
                    batch = None if more is None else batch + more
                if batch is None:  # the hub stopped, or dropped the feed: watchers reconnect
                    break
                await self._handle(batch)
        finally:
            self.hub.unsubscribe(sub)
            for w in list(self.watchers):
                self._end(w)

    async def _handle(self, batch: list[Event]) -> None:
        groups: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
        for e in batch:
            if self._wanted("crossing", e.session_id, e.location_name) or self._wanted(
                "check", e.session_id, e.location_name
            ):
                groups[(e.session_id, e.location_name)].append(_read_of(e))
        if not groups:
            return
        try:
            events = await self.db.run(render_batch, self.rosters, dict(groups), self._wanted)
        except DatabaseGone as exc:
            log.warning("display events skipped: %s", exc.message)
            for w in list(self.watchers):
                self._end(w)  # they reconnect with Last-Event-ID and catch up
            return
        for w in list(self.watchers):
            mine = [e for e in events if w.wants(e.kind, e.session_id, e.point)]
            if not mine:
                continue
            if w.queued + len(mine) > QUEUE_EVENTS:
                self._end(w)
                continue
            w.queued += len(mine)
            w.queue.put_nowait(mine)

    def _end(self, watcher: Watcher) -> None:
        self.watchers.discard(watcher)
        watcher.queue.put_nowait(None)


def _read_of(event: Event) -> dict[str, Any]:
    """The read an event carries (its SSE ``data:`` line is the read as JSON)."""
    data = event.text.split("\ndata: ", 1)[1]
    read: dict[str, Any] = json.loads(data)
    return read
