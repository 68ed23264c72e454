"""The live-update contract between the writer (``p88 listen``) and the readers
(``p88 serve``, ``p88 tui``): one PostgreSQL NOTIFY per committed batch.

The payload is small and only says *that* reads were committed and up to which id;
readers fetch ``WHERE id > last_id_they_saw`` themselves. A reader that misses a
notification (it was reconnecting) therefore loses nothing: the next one, or its own
catch-up query on reconnect, brings every row. NOTIFY is transactional, so it is
delivered only after the batch is committed.

``follow(url)`` is the one LISTEN loop every reader uses (``serve``'s hub, the TUI's feed):
an async iterator of ``Connected`` (LISTEN is (re)established: catch up on ``id > last
seen``), ``ReadsCommitted`` (one per notification) and ``Disconnected`` (the link is lost;
it is retrying, with a growing pause). It never raises a database error into its caller,
notices a dead server within ``health_s`` even when nothing is sent, and lets a caller
whose own queries failed ask for a reconnect (``Follower.lost``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

CHANNEL = "p88_reads"
RETRY_S: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)
HEALTH_S = 5.0
CONNECT_TIMEOUT_S = 3


@dataclass(frozen=True)
class ReadsCommitted:
    """A batch of reads became visible: their session ids, highest read id and count."""

    session_ids: tuple[int, ...]
    max_id: int
    count: int

    def encode(self) -> str:
        return json.dumps(
            {"sessions": list(self.session_ids), "max_id": self.max_id, "count": self.count},
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, payload: str) -> ReadsCommitted:
        data = json.loads(payload)
        return cls(tuple(int(s) for s in data["sessions"]), int(data["max_id"]), int(data["count"]))


def notify(conn: psycopg.Connection[Any], event: ReadsCommitted) -> None:
    """Queue the notification in the current transaction (sent on commit)."""
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, event.encode()))


@dataclass(frozen=True)
class Connected:
    """LISTEN is in place (first time or again): fetch everything above what you have."""


@dataclass(frozen=True)
class Disconnected:
    """The link is lost (``reason``, one line without the URL); ``attempt`` counts the
    failures in a row, 1 for the first."""

    reason: str
    attempt: int


@dataclass(frozen=True)
class Notice:
    """A notification on one of the other channels a caller asked for (``channels``),
    undecoded: e.g. ``p88_results`` (:mod:`p88.store.results.announce`)."""

    channel: str
    payload: str


LiveEvent = Connected | Disconnected | ReadsCommitted | Notice
Hook = Callable[[], Awaitable[None]]


def reason(exc: BaseException) -> str:
    """One line for a banner or a log, never the URL or its password."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    if "failed:" in text:
        text = text.split("failed:", 1)[1].strip() or text
    return text[:160]


class Follower:
    """The LISTEN loop; iterate it (``async for event in follow(url)``) until cancelled.

    ``on_connect`` runs after LISTEN, before ``Connected`` is yielded (the TUI opens its query
    connections there; a ``psycopg.Error`` from it counts as a failed connect), and
    ``on_disconnect`` after the LISTEN connection is closed, every time and at the end.
    ``channels``: more channels to LISTEN on; their notifications come as ``Notice``.
    """

    def __init__(
        self,
        url: str,
        *,
        application_name: str = "p88",
        retry_s: Sequence[float] = RETRY_S,
        health_s: float = HEALTH_S,
        read_only: bool = True,
        on_connect: Hook | None = None,
        on_disconnect: Hook | None = None,
        channels: Sequence[str] = (),
    ) -> None:
        self.url = url
        self.channels = tuple(c for c in channels if c != CHANNEL)
        self.application_name = application_name
        self.retry_s = tuple(retry_s) or RETRY_S
        self.health_s = health_s
        self.read_only = read_only
        self.on_connect = on_connect
        self.on_disconnect = on_disconnect
        self.connected = False
        self._broken: str | None = None

    def lost(self, why: BaseException | str) -> None:
        """The caller's own query failed: drop the link and reconnect (and say why)."""
        if self._broken is None:
            self._broken = why if isinstance(why, str) else reason(why)

    def _pause(self, attempt: int) -> float:
        return self.retry_s[min(attempt, len(self.retry_s)) - 1]

    async def __aiter__(self) -> AsyncIterator[LiveEvent]:
        attempt = 0
        conn: psycopg.AsyncConnection[Any] | None = None
        try:
            while True:
                self._broken = None
                try:
                    conn = await self._open()
                except psycopg.Error as exc:
                    attempt += 1
                    yield Disconnected(reason(exc), attempt)
                    await asyncio.sleep(self._pause(attempt))
                    continue
                attempt = 0
                self.connected = True
                yield Connected()
                why = None
                try:
                    while self._broken is None:
                        async for note in conn.notifies(timeout=self.health_s):
                            event: LiveEvent | None = (
                                _decode(note.payload)
                                if note.channel == CHANNEL
                                else Notice(note.channel, note.payload)
                            )
                            if event is not None:
                                yield event
                            if self._broken is not None:
                                break
                        if self._broken is None:
                            await conn.execute("SELECT 1")  # a dead server shows up here
                except psycopg.Error as exc:
                    why = reason(exc)
                await self._close(conn)
                conn = None
                attempt = 1
                yield Disconnected(why or self._broken or "connection lost", attempt)
                await asyncio.sleep(self._pause(attempt))
        finally:
            await self._close(conn)

    async def _open(self) -> psycopg.AsyncConnection[Any]:
        conn = await psycopg.AsyncConnection.connect(
            self.url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=self.application_name,
        )
        try:
            if self.read_only:
                await conn.execute("SET default_transaction_read_only = on")
            for channel in (CHANNEL, *self.channels):
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            if self.on_connect is not None:
                await self.on_connect()
        except BaseException:
            await self._close(conn)
            raise
        return conn

    async def _close(self, conn: psycopg.AsyncConnection[Any] | None) -> None:
        self.connected = False
        if conn is not None:
            with contextlib.suppress(psycopg.Error, OSError):
                await conn.close()
        if self.on_disconnect is not None:
            await self.on_disconnect()


def follow(url: str, **options: Any) -> Follower:
    """The LISTEN loop on ``url`` (see ``Follower`` for the options)."""
    return Follower(url, **options)


def _decode(payload: str) -> ReadsCommitted | None:
    try:
        return ReadsCommitted.decode(payload)
    except (ValueError, KeyError, TypeError):
        return None  # not ours, or a writer of another version: the next good one catches up
