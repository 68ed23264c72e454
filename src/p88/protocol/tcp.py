"""The asyncio CTP01 server: moves bytes between sockets and :class:`ServerConnection`.

No protocol logic lives here and nothing here knows about the database: an
:class:`App` (the listener, in ``p88.listener``) receives each connection's events and
answers resume questions. Each client is an ``asyncio.Protocol`` whose
``data_received`` runs the state machine synchronously and hands events to the app
without awaiting, so a slow or hostile client can only ever hold up itself. Bounds:
:mod:`p88.protocol.admission` (connections per address, unfinished handshakes per
address and in total, the oldest unfinished one evicted to make room, failed logins
slowed down and locked out per address), the framer's line cap, an output buffer cap (a
client that stops reading is closed), and the machine's greeting deadline and line-based
idle/ping timers, driven by one ticker for all links. When ``App.overloaded()`` says the
writer is behind, reading pauses on every link until it catches up.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from p88.errors import InputError
from p88.protocol.admission import Admission, AdmissionConfig
from p88.protocol.server import (
    AuthFailed,
    Closing,
    Event,
    ServerConfig,
    ServerConnection,
    StartNeeded,
)

__all__ = ["App", "CtpServer", "Link", "bind_error"]

log = logging.getLogger("p88.listen")


class App(Protocol):
    """What the server needs from the application behind it."""

    def opened(self, link: Link) -> None: ...
    def handle(self, link: Link, event: Event) -> None: ...
    def positions(self, link: Link, need: StartNeeded) -> Awaitable[dict[str, int | None]]: ...
    def closed(self, link: Link, reason: str) -> None: ...
    def overloaded(self) -> bool: ...


@dataclass(eq=False)
class Link(asyncio.Protocol):
    """One accepted client connection."""

    server: CtpServer
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    peer_ip: str | None = None
    peer_port: int | None = None
    connected_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    bytes_in: int = 0
    machine: ServerConnection | None = None
    transport: asyncio.Transport | None = None
    close_reason: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)
    opened_at: float = 0.0  # loop time
    auth_failed: bool = False
    _held: asyncio.TimerHandle | None = None

    @property
    def established(self) -> bool:
        """The handshake (greeting, and login if required) is done."""
        return (
            self.machine is not None and self.machine.handshaken and self.machine.state != "closed"
        )

    @property
    def peer(self) -> str:
        return f"{self.peer_ip}:{self.peer_port}"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peername = transport.get_extra_info("peername") or (None, None)
        self.peer_ip, self.peer_port = peername[0], peername[1]
        srv = self.server
        self.opened_at = now = srv.loop.time()
        decision = srv.admission.decide(
            str(self.peer_ip),
            ((x, str(x.peer_ip), x.established, x.opened_at) for x in srv.links),
            now,
        )
        if not decision.admit:
            transport.abort()
            return
        if isinstance(decision.evict, Link):
            log.info("closing %s: %s", decision.evict.peer, decision.reason)
            decision.evict.close(decision.reason)
            decision.evict.connection_lost(None)  # report it now: its slot is reused at once
        srv.links.add(self)
        self.machine = ServerConnection(srv.config, now=now)
        srv.app.opened(self)
        log.debug("connection from %s", self.peer)

    def data_received(self, data: bytes) -> None:
        if self.machine is None or self._held is not None:
            return
        self.bytes_in += len(data)
        events = self.machine.receive(data, self.server.loop.time())
        self.dispatch(events)
        if self.server.app.overloaded() and self.transport is not None:
            self.transport.pause_reading()
            self.server.paused.add(self)

    def dispatch(self, events: list[Event]) -> None:
        assert self.machine is not None
        for event in events:
            if isinstance(event, StartNeeded):
                self.server.spawn(self._start(event))
            elif isinstance(event, Closing):
                self.close_reason = event.reason
            elif isinstance(event, AuthFailed):
                self._hold(self.server.admission.failed_login(
                    str(self.peer_ip), event.user, self.server.loop.time()))  # fmt: skip
            self.server.app.handle(self, event)
        if self._held is not None:
            return  # the refusal goes out when the hold ends
        self.flush()
        if self.machine.state == "closed" and self.transport is not None:
            self.transport.close()

    def _hold(self, delay: float) -> None:
        """Answer a failed login only after ``delay``: guessing becomes slow."""
        self.auth_failed = True
        if self.transport is not None:
            self.transport.pause_reading()

        def release() -> None:
            self._held = None
            self.flush()
            if self.transport is not None:
                self.transport.close()

        self._held = self.server.loop.call_later(delay, release)

    async def _start(self, need: StartNeeded) -> None:
        positions = await self.server.app.positions(self, need)
        if self.machine is not None:
            self.machine.start(positions)
            self.flush()

    def flush(self) -> None:
        if self.machine is None or self.transport is None or self.transport.is_closing():
            return
        data = self.machine.data_to_send()
        if data:
            self.transport.write(data)
        if self.transport.get_write_buffer_size() > self.server.max_output:
            self.close("client is not reading (output buffer full)")

    def close(self, reason: str) -> None:
        if not self.close_reason:
            self.close_reason = reason
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        srv = self.server
        if self not in srv.links:
            return
        srv.links.discard(self)
        srv.paused.discard(self)
        if self._held is not None:
            self._held.cancel()
            self._held = None
        reason = self.close_reason or (f"connection lost: {exc}" if exc else "client closed")
        self.close_reason = reason
        if self.machine is not None:
            for event in self.machine.finish():  # a line the client left unterminated
                srv.app.handle(self, event)
            self.machine.state = "closed"
        srv.app.closed(self, reason)
        log.debug("%s closed: %s", self.peer, reason)  # the app logs it with its counts


class CtpServer:
    """Listens on ``host:port`` and runs one :class:`Link` per client."""

    def __init__(
        self,
        config: ServerConfig,
        app: App,
        *,
        host: str = "127.0.0.1",
        port: int = 61611,
        max_connections: int = 256,
        max_output: int = 1 << 20,
        tick_interval: float = 1.0,
        admission: AdmissionConfig | None = None,
    ) -> None:
        self.config = config
        self.app = app
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self.admission = Admission(admission or AdmissionConfig(max_connections=max_connections))
        self.max_output = max_output
        self.tick_interval = tick_interval
        self.links: set[Link] = set()
        self.paused: set[Link] = set()
        self._server: asyncio.base_events.Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.loop = asyncio.get_running_loop()  # construct inside the running loop

    async def start(self) -> None:
        """Bind and start accepting (``port=0`` picks a free port; see ``bound_port``)."""
        try:
            self._server = await self.loop.create_server(
                lambda: Link(self), self.host, self.port, reuse_address=True
            )
        except OSError as exc:
            raise bind_error(self.host, self.port, exc) from None
        self._ticker = asyncio.create_task(self._tick())

    @property
    def bound_port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.tick_interval)
            now = self.loop.time()
            for link in list(self.links):
                if link.machine is not None and link._held is None:
                    link.dispatch(link.machine.tick(now))
            self.admission.forget_idle(now)
            if self.paused and not self.app.overloaded():
                for link in list(self.paused):
                    if link.transport is not None:
                        link.transport.resume_reading()
                self.paused.clear()

    async def close(self) -> None:
        """Stop accepting, close every client, and wait for their ends to be reported."""
        if self._server is not None:
            self._server.close()
        for link in list(self.links):
            link.close("listener shutting down")
        if self._ticker is not None:
            self._ticker.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            await self._server.wait_closed()
        for _ in range(50):
            if not self.links:
                break
            await asyncio.sleep(0.01)


def bind_error(host: str, port: int, exc: OSError) -> InputError:
    """Why ``host:port`` cannot be listened on, in the user's terms: a busy port suggests
    another listener, an address that is not valid or not this machine's says so."""
    where = f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        return InputError(f"cannot listen on {where}: {host!r} is not a valid address or a "
                          "host name that resolves", what="address", where="--host")  # fmt: skip
    if exc.errno == errno.EADDRINUSE:
        return InputError(f"cannot listen on {where}: the port is in use", what="port",
                          where="--port", hint="is another listener running? pick another "
                          "--port")  # fmt: skip
    if exc.errno == errno.EADDRNOTAVAIL:
        return InputError(f"cannot listen on {where}: no interface of this machine has the "
                          "address", what="address", where="--host")  # fmt: skip
    if exc.errno == errno.EACCES:
        return InputError(f"cannot listen on {where}: permission denied", what="port",
                          where="--port", hint="ports below 1024 need privileges")  # fmt: skip
    return InputError(f"cannot listen on {where}: {exc.strerror or exc}", what="address",
                      where="--host")  # fmt: skip
