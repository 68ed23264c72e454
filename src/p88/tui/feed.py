"""The leaderboard's link to PostgreSQL: read-only connections, LISTEN, reconnecting.

``LiveFeed.run`` is one long asyncio task. It opens three connections — one that only
LISTENs (psycopg's ``notifies()`` holds its connection while it waits), one for the new
crossings alone and one for everything bulkier (standings, header counts, search), so a
5,000-runner standings query never delays a new crossing. Each session is
``default_transaction_read_only``: the TUI cannot write even by mistake.

When any connection fails (the server went away, an admin killed the backend, a query
hit a dead socket) the feed drops all three, posts ``LiveFeed.Down`` and retries with a
growing pause; when it is back it posts ``LiveFeed.Up`` and the app catches up with
``id > last seen``, so no read is missed. Nothing here raises into the app.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql
from textual.message import Message
from textual.message_pump import MessagePump

from p88.store import CHANNEL, CONNECT_TIMEOUT_S, ReadsCommitted

APPLICATION_NAME = "p88 tui"
RETRY_S: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)
HEALTH_S = 1.0
STATEMENT_TIMEOUT = "15s"


class LiveFeed:
    """Keeps the TUI connected and tells ``target`` what happens, as Textual messages."""

    class Up(Message):
        """Connected (again): everything shown should be refreshed from the database."""

    class Down(Message):
        """The database link is lost; the feed is retrying."""

        def __init__(self, reason: str, attempt: int) -> None:
            super().__init__()
            self.reason = reason
            self.attempt = attempt

    class Notified(Message):
        """A writer committed reads (one NOTIFY on ``p88_reads``)."""

        def __init__(self, event: ReadsCommitted) -> None:
            super().__init__()
            self.event = event

    def __init__(
        self,
        url: str,
        target: MessagePump,
        *,
        retry_s: Sequence[float] = RETRY_S,
        health_s: float = HEALTH_S,
    ) -> None:
        self.url = url
        self.target = target
        self.retry_s = tuple(retry_s)
        self.health_s = health_s
        self.live: psycopg.AsyncConnection[Any] | None = None
        self.bulk: psycopg.AsyncConnection[Any] | None = None
        self._listen: psycopg.AsyncConnection[Any] | None = None
        self._broken: str | None = None

    @property
    def connected(self) -> bool:
        return self.live is not None and self._broken is None

    def lost(self, exc: BaseException) -> None:
        """A query on one of the feed's connections failed: reconnect everything."""
        if self._broken is None:
            self._broken = _reason(exc)

    async def run(self) -> None:
        """Connect, listen and reconnect until cancelled."""
        attempt = 0
        try:
            while True:
                try:
                    await self._open()
                except psycopg.Error as exc:
                    await self._close()
                    attempt += 1
                    self.target.post_message(self.Down(_reason(exc), attempt))
                    await asyncio.sleep(self.retry_s[min(attempt, len(self.retry_s)) - 1])
                    continue
                attempt = 0
                self.target.post_message(self.Up())
                reason = await self._wait_for_trouble()
                await self._close()
                attempt = 1
                self.target.post_message(self.Down(reason, attempt))
                await asyncio.sleep(self.retry_s[0])
        finally:
            await self._close()

    async def _open(self) -> None:
        self._broken = None
        self._listen = await _connect(self.url)
        await self._listen.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        self.live = await _connect(self.url)
        self.bulk = await _connect(self.url)

    async def _wait_for_trouble(self) -> str:
        """Relay notifications until a connection fails; return why it failed."""
        assert self._listen is not None
        try:
            while self._broken is None:
                async for note in self._listen.notifies(timeout=self.health_s):
                    event = _decode(note.payload)
                    if event is not None:
                        self.target.post_message(self.Notified(event))
                    if self._broken is not None:
                        break
                if self._broken is None:
                    await self._listen.execute("SELECT 1")
        except psycopg.Error as exc:
            return _reason(exc)
        return self._broken

    async def _close(self) -> None:
        conns = (self._listen, self.live, self.bulk)
        self._listen = self.live = self.bulk = None
        for conn in conns:
            if conn is not None:
                with contextlib.suppress(psycopg.Error, OSError):
                    await conn.close()


async def _connect(url: str) -> psycopg.AsyncConnection[Any]:
    conn = await psycopg.AsyncConnection.connect(
        url,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT_S,
        application_name=APPLICATION_NAME,
    )
    try:
        await conn.execute("SET default_transaction_read_only = on")
        await conn.execute(
            sql.SQL("SET statement_timeout = {}").format(sql.Literal(STATEMENT_TIMEOUT))
        )
    except psycopg.Error:
        await conn.close()
        raise
    return conn


def _decode(payload: str) -> ReadsCommitted | None:
    try:
        return ReadsCommitted.decode(payload)
    except (ValueError, KeyError, TypeError):
        return None  # not ours, or a writer of another version: the next good one catches up


def _reason(exc: BaseException) -> str:
    """One line for the banner, never the URL or its password."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    if "failed:" in text:
        text = text.split("failed:", 1)[1].strip() or text
    return text[:160]


__all__ = ["APPLICATION_NAME", "LiveFeed"]
