"""``p88 forward``: the laptop's committed reads streamed to a hub, exactly once, live.

A join of store (what was committed, and the stream kept per target) and protocol (the
CTP01 client that ``p88 replay`` drives): to each target the forwarder is a controller in
push mode. A read goes out with its row id as its sequence number, so a hub that
reconnects, or restarts, asks to resume from what it committed and gets the rest; the
connection id is kept in the laptop's database (``forward_streams``), so a restarted
forwarder is the same client to the hub. Exactly once at the hub does not hang on any of
this: the hub stores a read by its content, so anything sent twice is a duplicate there.

New reads are picked up on the listener's NOTIFY (``store.live.follow``; and every
``poll_s`` as a safety net) after the highest id loaded, in one REPEATABLE READ snapshot
with the session's read totals: when the totals show more reads than were loaded, a read
was committed below the high-water id (a second writer), and the forwarder starts a new
generation (a new connection id), so the hub asks for everything and stores only what it
lacked.

A target that is unreachable is retried with backoff until it answers and said on the log
once a minute; a target that refuses the login stops the forwarder with one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg

from p88.errors import DatabaseUnavailable
from p88.protocol.client import ClientOptions
from p88.protocol.codec import GunTime, Read
from p88.protocol.feed import Feed, render_time
from p88.protocol.replay import Client, ReplayConfig
from p88.protocol.times import ReadTime
from p88.store import Connected, ReadsCommitted, connect, follow, live, resolve_session
from p88.store import forwarding as fw

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """A CTP01 server to forward to, with the login it may ask for."""

    host: str
    port: int
    user: str | None = None
    password: str | None = None

    @property
    def name(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class ForwardConfig:
    """What to forward and how: ``follow`` keeps going as reads commit; without it the
    forwarder stops once every target has everything committed when it started."""

    session: str
    targets: tuple[Target, ...]
    follow: bool = True
    poll_s: float = 1.0
    connect_timeout_s: float = 5.0
    retry_delay_s: float = 0.5
    retry_max_s: float = 30.0
    linger_s: float = 1.0


@dataclass
class TargetState:
    """One target's stream, feeds and client, and what went to it."""

    target: Target
    stream: fw.Stream
    feeds: dict[str, Feed] = field(default_factory=dict)
    client: Client | None = None
    generations: int = 0


@dataclass
class ForwardSummary:
    """What the forwarder loaded and sent, per target."""

    session_id: int
    session_name: str
    loaded: int
    targets: list[dict[str, Any]]


def _line(row: fw.ForwardRead) -> Read | GunTime:
    text = render_time(row.at, "iso", row.at.date())  # the wire's own writer
    kind = GunTime if row.gun else Read
    return kind(row.seq, row.location, row.tag, ReadTime("iso", text), row.lap, row.reader,
                row.gator)  # fmt: skip


class Forwarder:
    """Loads a session's reads from the database and keeps every target's feeds current."""

    def __init__(self, url: str, config: ForwardConfig) -> None:
        if not config.targets:
            from p88.errors import InputError

            raise InputError("give at least one --to HOST:PORT", what="target", where="--to")
        self.url = url
        self.config = config
        self.session_id = 0
        self.session_name = ""
        self.event: tuple[str, str, str] = ("", "0", "")
        self.rows: list[fw.ForwardRead] = []
        self.last_read = 0
        self.last_gun = 0
        self.loaded: dict[str, int] = {}
        self.day0: date | None = None
        self.states: list[TargetState] = []
        self._conn: psycopg.Connection[Any] | None = None

    # -- database (run in a thread) -----------------------------------------------
    def _open(self) -> None:
        self._conn = connect(self.url, autocommit=True)
        conn = self._conn
        self.session_id = resolve_session(conn, self.config.session)
        row = conn.execute(
            "SELECT session_name, COALESCE(event_name, ''), COALESCE(event_id, '0'), "
            "COALESCE(event_description, ''), session_date FROM timing_sessions WHERE id = %s",
            (self.session_id,),
        ).fetchone()
        assert row is not None
        self.session_name = str(row[0])
        self.event = (str(row[1]) or self.session_name, str(row[2]), str(row[3]))
        self.day0 = row[4]
        for target in self.config.targets:
            self.states.append(
                TargetState(target, fw.open_stream(conn, target.name, self.session_id))
            )

    def _poll(self) -> tuple[list[fw.ForwardRead], list[str]]:
        """New rows since the last poll, and the locations that got a read behind us."""
        if self._conn is None or self._conn.closed:
            self._conn = connect(self.url, autocommit=True)
        conn = self._conn
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            counts = fw.location_counts(conn, self.session_id)
            new: list[fw.ForwardRead] = []
            while True:
                page = fw.reads_after(conn, self.session_id, self.last_read)
                if not page:
                    break
                new.extend(page)
                self.last_read = page[-1].seq
            guns = fw.guns_after(conn, self.session_id, self.last_gun)
        if guns:
            self.last_gun = guns[-1].seq
        for row in new:
            self.loaded[row.location] = self.loaded.get(row.location, 0) + 1
        return self._place_guns(new, guns), fw.late_reads(self.loaded, counts)

    def _place_guns(
        self, reads: list[fw.ForwardRead], guns: list[fw.ForwardRead]
    ) -> list[fw.ForwardRead]:
        """Guns ride in their location's feed with the sequence of the read before them."""
        if not guns:
            return reads
        out = list(reads)
        for gun in guns:
            before = max(
                (r.seq for r in (*self.rows, *reads) if r.location == gun.location and not r.gun),
                default=0,
            )
            out.append(
                fw.ForwardRead(before, gun.location, gun.tag, gun.at, 0, gun.reader, 0, True)
            )
        out.sort(key=lambda r: (r.seq, not r.gun))
        return out

    def _new_generation(self) -> list[fw.ForwardRead]:
        """A new connection id for every target, and the whole session loaded afresh."""
        assert self._conn is not None
        for state in self.states:
            state.stream = fw.next_generation(self._conn, state.stream)
            state.generations += 1
        self.rows, self.loaded, self.last_read, self.last_gun = [], {}, 0, 0
        rows, _ = self._poll()
        return rows

    def _record(self) -> None:
        if self._conn is None:
            return
        for state in self.states:
            upto = max((f.lines[f.sent_upto - 1].seq for f in state.feeds.values()
                        if f.sent_upto), default=0)  # fmt: skip
            fw.record_sent(self._conn, state.stream, upto)

    # -- feeds ----------------------------------------------------------------------
    def _add(self, rows: Sequence[fw.ForwardRead]) -> None:
        """Append rows to every target's feeds; a new location makes the client reconnect."""
        if not rows:
            return
        self.rows.extend(rows)
        if self.day0 is None:
            self.day0 = rows[0].at.date()
        for state in self.states:
            fresh = False
            by_location: dict[str, list[fw.ForwardRead]] = {}
            for row in rows:
                by_location.setdefault(row.location, []).append(row)
            for location, group in by_location.items():
                feed = state.feeds.get(location)
                lines = [_line(r) for r in group]
                moments = [r.at for r in group]
                if feed is None:
                    reader = next((r.reader for r in group if not r.gun), group[0].reader)
                    feed = Feed(location, lines, moments, self.day0, reader=reader,
                                source=self.session_name)  # fmt: skip
                    state.feeds[location] = feed
                    fresh = True
                else:
                    feed.extend(lines, moments)
                feed.observed = len(feed)
            if state.client is not None:
                state.client.feeds = list(state.feeds.values())
                if fresh:
                    state.client.restart()
                state.client.wake.set()

    def _rebuild(self, rows: list[fw.ForwardRead]) -> None:
        """Every target's feeds afresh from ``rows``, under its new connection id."""
        for state in self.states:
            state.feeds = {}
        self._add(rows)
        for state in self.states:
            if state.client is not None:
                state.client.options = self._options(state)
                state.client.restart()

    def _options(self, state: TargetState) -> ClientOptions:
        name, event_id, description = self.event
        return ClientOptions(
            connection_id=state.stream.connection_id,
            name="p88-forward",
            user=state.target.user,
            password=state.target.password,
            event_name=name,
            event_id=event_id,
            event_description=description,
        )

    def _client(self, state: TargetState) -> Client:
        replay_config = ReplayConfig(
            host=state.target.host,
            port=state.target.port,
            speed=None,
            linger_s=self.config.linger_s,
            connect_timeout_s=self.config.connect_timeout_s,
            give_up_s=float("inf"),
            retry_delay_s=self.config.retry_delay_s,
            retry_max_s=self.config.retry_max_s,
            say_retries=True,
            stall_s=float("inf"),
        )
        client = Client(list(state.feeds.values()), self._options(state), replay_config)
        client.pacing_done = not self.config.follow
        return client

    # -- the loop -------------------------------------------------------------------
    async def _listen(self, due: asyncio.Event) -> None:
        """Wake the loop on every NOTIFY for this session (and after each reconnect)."""
        async for event in follow(self.url, application_name="p88-forward"):
            if isinstance(event, Connected) or (
                isinstance(event, ReadsCommitted) and self.session_id in event.session_ids
            ):
                due.set()

    async def _catch_up(self) -> None:
        """Load what committed since the last look; survive the laptop's database going away."""
        try:
            rows, behind = await asyncio.to_thread(self._poll)
            self._add(rows)
            if behind:
                log.warning(
                    "reads committed behind the forwarder at %s: starting a new stream so "
                    "the hub asks for everything",
                    ", ".join(behind),
                )
                self._rebuild(await asyncio.to_thread(self._new_generation))
            await asyncio.to_thread(self._record)
        except (psycopg.OperationalError, DatabaseUnavailable) as exc:
            log.warning("the laptop's database is unavailable (%s); retrying", live.reason(exc))
            await asyncio.to_thread(self._reconnect)

    def _reconnect(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        try:
            self._conn = connect(self.url, autocommit=True)
        except DatabaseUnavailable:
            self._conn = None

    async def run(self, stop: asyncio.Event | None = None) -> ForwardSummary:
        """Forward until ``stop`` is set (follow) or every target has everything (once)."""
        await asyncio.to_thread(self._open)
        try:
            rows, _ = await asyncio.to_thread(self._poll)
            self._add(rows)
            for state in self.states:
                state.client = self._client(state)
            runs = [asyncio.create_task(s.client.run()) for s in self.states if s.client]
            stopping = asyncio.create_task((stop or asyncio.Event()).wait())
            due = asyncio.Event()
            listening = asyncio.create_task(self._listen(due)) if self.config.follow else None
            try:
                while True:
                    waking = asyncio.create_task(due.wait())
                    await asyncio.wait(
                        {stopping, waking, *runs},
                        timeout=self.config.poll_s if self.config.follow else None,
                        return_when="FIRST_COMPLETED",
                    )
                    waking.cancel()
                    due.clear()
                    for task in runs:
                        if task.done() and task.exception() is not None:
                            raise task.exception()  # type: ignore[misc]
                    if stopping.done() or all(t.done() for t in runs):
                        break
                    if self.config.follow:
                        await self._catch_up()
            finally:
                stopping.cancel()
                if listening is not None:
                    listening.cancel()
                for task in runs:
                    task.cancel()
                for task in runs:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                if listening is not None:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await listening
            await asyncio.to_thread(self._record)
            return self.summary()
        finally:
            if self._conn is not None:
                self._conn.close()

    def summary(self) -> ForwardSummary:
        targets = []
        for state in self.states:
            feeds = state.feeds.values()
            targets.append(
                {
                    "target": state.target.name,
                    "connection_id": state.stream.connection_id,
                    "lines": sum(len(f) for f in feeds),
                    "sent": sum(f.sent_upto for f in feeds),
                    "resent": sum(f.resent for f in feeds),
                    "connections": state.client.report.connections if state.client else 0,
                    "generations": state.generations,
                }
            )
        return ForwardSummary(self.session_id, self.session_name, len(self.rows), targets)


async def forward(
    url: str,
    config: ForwardConfig,
    stop: asyncio.Event | None = None,
    on_start: Callable[[Forwarder], None] | None = None,
) -> ForwardSummary:
    """Forward ``config.session`` from the database at ``url`` to every target."""
    forwarder = Forwarder(url, config)
    if on_start is not None:
        on_start(forwarder)
    return await forwarder.run(stop)
