"""The leaderboard's link to PostgreSQL: read-only connections, LISTEN, reconnecting.

``LiveFeed.run`` is one long asyncio task around ``p88.store.live.follow`` (the LISTEN
loop ``p88 serve`` uses too). It holds three connections — one that only
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

import contextlib
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql
from textual.message import Message
from textual.message_pump import MessagePump

from p88.store import CONNECT_TIMEOUT_S, Connected, Disconnected, ReadsCommitted, follow

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
        self._follower = follow(
            url,
            application_name=APPLICATION_NAME,
            retry_s=self.retry_s,
            health_s=health_s,
            on_connect=self._open,
            on_disconnect=self._close,
        )

    @property
    def connected(self) -> bool:
        return self.live is not None and self._follower.connected

    def lost(self, exc: BaseException) -> None:
        """A query on one of the feed's connections failed: reconnect everything."""
        self._follower.lost(exc)

    async def run(self) -> None:
        """Connect, listen and reconnect until cancelled (``p88.store.live.follow``)."""
        async for event in self._follower:
            if isinstance(event, Connected):
                self.target.post_message(self.Up())
            elif isinstance(event, Disconnected):
                self.target.post_message(self.Down(event.reason, event.attempt))
            else:
                self.target.post_message(self.Notified(event))

    async def _open(self) -> None:
        """After LISTEN: the two query connections (a failure here is a failed connect)."""
        self.live = await _connect(self.url)
        self.bulk = await _connect(self.url)

    async def _close(self) -> None:
        conns = (self.live, self.bulk)
        self.live = self.bulk = None
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


__all__ = ["APPLICATION_NAME", "LiveFeed"]
