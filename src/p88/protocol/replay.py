"""``p88 replay``'s engine: CTP01 clients over asyncio that play feeds at their recorded pace.

Each client is one TCP connection (re-made as needed) driving a
:class:`~p88.protocol.client.ClientProtocol`; the protocol decides what to say, this module
only moves bytes, keeps time and reconnects. One pacer per feed advances
``Feed.observed`` along the clock the file implies: a line becomes visible at
``origin + (clock - first) / speed``, where ``clock`` is the running maximum of the
line times so far. Real captures are not monotonic (a read is reported after later
ones), so the running maximum makes a late-reported read go out with its neighbours and
a sleep is never negative. ``speed=None`` is ``--speed max``: everything is visible at once.

When the server goes away the client reconnects with the same connection id; the new
protocol instance answers the server's ``start~<loc>~<seq>`` (or ``getdata`` with a seq),
so the server gets what it had not committed. CTP01 acknowledges no read, so "sent" is
not "stored": after the last line a client keeps the link open for ``linger_s``, then
half-closes it and reads until the server closes its side (so the server reads every
line before the end); if the server drops the link first, the client reconnects once
more so the server can ask for what it lacks (a server that hangs up twice after the
last line is taken to have everything). A server that closes after every line was
delivered (push: written; pull: asked for) and then no longer answers has left with
everything: the replay ends there, successfully, with a note. A host name that does not
resolve is not transient: the replay fails at once instead of retrying for ``give_up_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from p88.errors import P88Error
from p88.protocol.client import ClientOptions, ClientProtocol, Fatal, Noted, Ready
from p88.protocol.feed import Feed

log = logging.getLogger(__name__)
READ_CHUNK = 64 * 1024
PUMP_BATCH = 2000


class ReplayError(P88Error):
    """A replay that cannot go on: server unreachable for too long, login refused, not CTP01."""


@dataclass(frozen=True)
class ReplayConfig:
    """How to reach the server and how fast to play."""

    host: str
    port: int
    speed: float | None = 1.0
    linger_s: float = 1.0
    connect_timeout_s: float = 5.0
    give_up_s: float = 30.0
    retry_delay_s: float = 0.2
    retry_max_s: float = 0.2
    say_retries: bool = False  # log an unreachable server once a minute (p88 forward)
    stall_s: float = 15.0
    close_timeout_s: float = 120.0
    loop: bool = False


@dataclass
class ClientReport:
    """What one client did: connections made, lines written, how it ended."""

    name: str
    locations: list[str]
    connections: int = 0
    lines_written: int = 0
    settings: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class ReplaySummary:
    """The whole replay: per client and per feed, and the wall time it took."""

    clients: list[ClientReport]
    feeds: list[Feed]
    elapsed_s: float

    @property
    def lines(self) -> int:
        return sum(f.sent_upto for f in self.feeds)

    @property
    def rate(self) -> float:
        return self.lines / self.elapsed_s if self.elapsed_s > 0 else 0.0


def origin_of(feeds: Sequence[Feed]) -> datetime:
    """The earliest moment over all feeds: time zero of the replay's shared clock."""
    return min(f.moments[0] for f in feeds if f.moments)


def schedule(feed: Feed, origin: datetime, speed: float) -> list[float]:
    """Seconds after the start at which each line becomes visible (non-decreasing)."""
    out: list[float] = []
    high = origin
    for moment in feed.moments:
        high = max(high, moment)
        out.append((high - origin).total_seconds() / speed)
    return out


async def pace(feed: Feed, origin: datetime, speed: float | None, wake: asyncio.Event) -> None:
    """Advance ``feed.observed`` along its schedule, waking the client at each step."""
    if speed is None:
        feed.observed = len(feed)
        wake.set()
        return
    loop = asyncio.get_running_loop()
    started = loop.time()
    times = schedule(feed, origin, speed)
    index = feed.observed
    while index < len(times):
        delay = started + times[index] - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        now = loop.time() - started
        while index < len(times) and times[index] <= now + 1e-4:
            index += 1
        feed.observed = max(feed.observed, index)
        wake.set()


class Client:
    """One replay client: reconnects until its feeds are sent or it has to give up."""

    def __init__(self, feeds: Sequence[Feed], options: ClientOptions, config: ReplayConfig):
        self.feeds = list(feeds)
        self.options = options
        self.config = config
        self.wake = asyncio.Event()
        self.pacing_done = False
        self.report = ClientReport(options.name, [f.location for f in feeds])
        self._restart = False

    def restart(self) -> None:
        """Drop the current connection and connect again (new feeds or a new connection id)."""
        self._restart = True
        self.wake.set()

    def _finished(self) -> bool:
        return self.pacing_done and all(f.sent_upto >= len(f) for f in self.feeds)

    async def run(self) -> ClientReport:
        """Connect, serve, reconnect; return when every line was sent and the linger is over.

        Gives up (``ReplayError``) when the server has been unreachable, or has not
        completed a handshake, for ``give_up_s`` in a row.
        """
        failing_since: float | None = None
        losses_when_complete = 0
        delay = self.config.retry_delay_s
        said_at: float | None = None
        delivered = False  # every line went out, then the server closed the link
        where = f"{self.config.host}:{self.config.port}"
        while True:
            ready = False
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.config.host, self.config.port),
                    self.config.connect_timeout_s,
                )
            except socket.gaierror as exc:
                if exc.errno == socket.EAI_AGAIN:  # the resolver is away: that may pass
                    problem = f"cannot resolve {self.config.host!r} now"
                else:
                    raise ReplayError(
                        f"cannot replay to {where}: the host name {self.config.host!r} does "
                        "not resolve", hint="check --to (HOST:PORT)",
                    ) from None  # fmt: skip
            except (OSError, TimeoutError) as exc:
                problem = str(exc) or type(exc).__name__
                if delivered:
                    self.report.notes.append(
                        "the server closed the link after every line was delivered and no "
                        "longer answers"
                    )
                    return self.report
            else:
                self.report.connections += 1
                try:
                    done, ready = await self._serve(reader, writer)
                finally:
                    writer.close()
                    with contextlib.suppress(OSError, ConnectionError):
                        await writer.wait_closed()
                if done:
                    return self.report
                problem = "the server closed the connection"
                if ready and self._finished():
                    # Everything went out, but the link died before our linger ended: the
                    # server may not have stored the tail. Reconnect so it can ask again;
                    # a server that keeps hanging up after that, or is gone, has what it
                    # wants.
                    delivered = True
                    losses_when_complete += 1
                    if losses_when_complete >= 2:
                        self.report.notes.append("the server hung up after the last line")
                        return self.report
            now = time.monotonic()
            failing_since = None if ready else (failing_since or now)
            if failing_since is not None and now - failing_since > self.config.give_up_s:
                raise ReplayError(
                    f"cannot replay to {where}: {problem}",
                    hint="is p88 listen (or another CTP01 server) running there?",
                )
            if ready:
                delay = self.config.retry_delay_s
            elif self.config.say_retries and (said_at is None or now - said_at >= 60):
                said_at = now
                log.warning("%s:%d: %s; retrying", self.config.host, self.config.port, problem)
            await asyncio.sleep(delay)
            delay = min(max(delay * 2, self.config.retry_delay_s), self.config.retry_max_s)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[bool, bool]:
        """One connection: (replay complete, handshake completed)."""
        proto = ClientProtocol(self.feeds, self.options)
        writer.write(proto.data_to_send())
        reading = asyncio.create_task(reader.read(READ_CHUNK))
        waking = asyncio.create_task(self.wake.wait())
        idle_since: float | None = None
        last_activity = time.monotonic()
        try:
            while True:
                timeout = None
                now = time.monotonic()
                if self._finished() and proto.caught_up():
                    idle_since = idle_since or now
                    timeout = self.config.linger_s - (now - idle_since)
                    if timeout <= 0:
                        await self._hang_up(reader, writer, reading)
                        return True, True
                else:
                    idle_since = None
                    if self.pacing_done:  # a server that never asks for what is left
                        timeout = self.config.stall_s - (now - last_activity)
                        if timeout <= 0:
                            self._stalled(proto)
                            return True, proto.phase == "ready"
                await asyncio.wait(
                    {reading, waking}, timeout=timeout, return_when="FIRST_COMPLETED"
                )
                if reading.done():
                    data = b""
                    with contextlib.suppress(OSError, ConnectionError):
                        data = reading.result()
                    if not data:
                        return False, proto.phase == "ready"
                    last_activity = time.monotonic()
                    for event in proto.receive(data):
                        self._note(event)
                    reading = asyncio.create_task(reader.read(READ_CHUNK))
                if waking.done():
                    self.wake.clear()
                    waking = asyncio.create_task(self.wake.wait())
                    if self._restart:
                        self._restart = False
                        return False, proto.phase == "ready"
                while proto.pump(PUMP_BATCH):
                    last_activity = time.monotonic()
                    writer.write(proto.data_to_send())
                    await writer.drain()
                out = proto.data_to_send()
                if out:
                    writer.write(out)
                    await writer.drain()
        except (OSError, ConnectionError) as exc:
            self.report.notes.append(f"connection lost: {exc}")
            return False, proto.phase == "ready"
        finally:
            self.report.lines_written += proto.sent
            reading.cancel()
            waking.cancel()

    async def _hang_up(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        reading: asyncio.Task[bytes],
    ) -> None:
        """Close gracefully: FIN first, then read until the server closes too.

        Closing a socket while the server may still write to it (a ping) makes our
        kernel answer with a RST, and a RST makes the server's kernel discard what it
        had received but not yet read: the tail of the replay, when the server is busy.
        So half-close, keep reading, and wait for the server to close its side; give up
        only after ``close_timeout_s`` without progress (the server taking our bytes, as
        the socket's send queue shrinks, or saying something). A busy listener that has
        paused reading under backpressure can take a while; a dead one resets the link.
        """
        if writer.can_write_eof():
            writer.write_eof()
        unsent = _send_queue(writer)
        deadline = time.monotonic() + self.config.close_timeout_s
        while (left := deadline - time.monotonic()) > 0:
            done, _ = await asyncio.wait({reading}, timeout=min(left, 0.25))
            if done:
                data = b""
                with contextlib.suppress(OSError, ConnectionError):
                    data = reading.result()
                if not data:
                    return
                deadline = time.monotonic() + self.config.close_timeout_s
                reading = asyncio.create_task(reader.read(READ_CHUNK))
            now_unsent = _send_queue(writer)
            if now_unsent is not None and unsent is not None and now_unsent < unsent:
                deadline = time.monotonic() + self.config.close_timeout_s  # still draining
            unsent = now_unsent
        reading.cancel()
        self.report.notes.append(
            f"the server did not close the link within {self.config.close_timeout_s:.0f} s "
            "of the last line"
        )

    def _stalled(self, proto: ClientProtocol) -> None:
        for feed in self.feeds:
            if feed.sent_upto < len(feed):
                self.report.notes.append(
                    f"the server never asked for {len(feed) - feed.sent_upto} lines "
                    f"of {feed.location} (stopped after {self.config.stall_s:.0f} s idle)"
                )

    def _note(self, event: object) -> None:
        if isinstance(event, Fatal):
            raise ReplayError(event.reason)
        if isinstance(event, Ready):
            s = event.settings
            self.report.settings = (
                f"{s.stream_mode} mode, location={s.location}, time-format={s.time_format}, "
                f"{s.tagevent_format}, guntimes={str(s.guntimes).lower()}"
            )
        elif isinstance(event, Noted):
            log.info("%s: %s", self.options.name, event.text)
            if len(self.report.notes) < 20:
                self.report.notes.append(event.text)


def _outq_reader() -> Callable[[int], int] | None:
    """Linux/BSD: a function giving a socket's unacknowledged send bytes; elsewhere None."""
    try:
        import fcntl
        import termios
    except ImportError:  # pragma: no cover - Windows
        return None
    request = getattr(termios, "TIOCOUTQ", None)
    if request is None:  # pragma: no cover
        return None

    def read(fd: int) -> int:
        return int(struct.unpack("i", fcntl.ioctl(fd, request, b"\0\0\0\0"))[0])

    return read


_OUTQ = _outq_reader()


def _send_queue(writer: asyncio.StreamWriter) -> int | None:
    """Bytes written but not yet acknowledged by the server, or None where unknown."""
    sock = writer.get_extra_info("socket")
    if sock is None or _OUTQ is None:
        return None
    try:
        return _OUTQ(sock.fileno()) + writer.transport.get_write_buffer_size()
    except OSError:
        return None


async def _pace_all(clients: Sequence[Client], origin: datetime, config: ReplayConfig) -> None:
    """Pace every feed on the shared clock; with ``loop``, append and play pass after pass."""
    feeds = [f for c in clients for f in c.feeds if len(f)]
    span = max(f.moments[-1] for f in feeds) - origin + timedelta(seconds=1)
    passes = 0
    while True:
        start = origin + span * passes
        await asyncio.gather(
            *(pace(f, start, config.speed, c.wake) for c in clients for f in c.feeds)
        )
        if not config.loop:
            break
        passes += 1
        for feed in feeds:
            feed.extend(*feed.looped(passes, span))
    for client in clients:
        client.pacing_done = True
        client.wake.set()


async def replay(
    clients: Sequence[tuple[Sequence[Feed], ClientOptions]], config: ReplayConfig
) -> ReplaySummary:
    """Play every client's feeds against one server at once; return what was sent.

    All feeds share one clock (``origin_of``), so simulated points stay in step and two
    files of one race replay side by side.
    """
    all_feeds = [f for feeds, _ in clients for f in feeds]
    if not all_feeds or not any(len(f) for f in all_feeds):
        raise ReplayError("nothing to replay: the files hold no data lines")
    if config.speed is not None and config.speed <= 0:
        raise ReplayError("--speed must be positive, or max")
    origin = origin_of([f for f in all_feeds if len(f)])
    runners = [Client(feeds, options, config) for feeds, options in clients]
    started = time.monotonic()

    pacer = asyncio.create_task(_pace_all(runners, origin, config))
    try:
        reports = await asyncio.gather(*(c.run() for c in runners))
    finally:
        pacer.cancel()
    return ReplaySummary(list(reports), all_feeds, time.monotonic() - started)
