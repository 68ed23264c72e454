"""``p88 listen`` as a library: the CTP01 server (protocol) feeding the ingest writer (store).

This is the one place the two packages meet; ``protocol`` never imports ``store``. Each
connection's events become store ops: reads and gun times with their local wall-clock
time resolved on the session's date and time zone, rejects with the peer, one
``connection_log`` row per connection (greeting, connection id, event, locations, counts,
start, end). Resume positions come from the writer, i.e. from what is committed (or
durably spooled), never from what was merely received.

Sessions: ``--session NAME`` wins; otherwise the client's event name from
``geteventinfo``; otherwise the default session, ``Session_%Y%m%d_%H%M%S``, which a
restarted listener continues (the newest active one of today). A session is created when
its first read, gun time or reject arrives, never at start: a listener started and
stopped (or restarted through an outage) leaves no empty session behind. Each closed
connection is logged once with the session its reads went to and how many were stored,
were duplicates, or were rejected. Connection rows carry this listener's ``host:port``
so the next start closes the rows a killed run left open (:mod:`p88.store.listener_state`).

>>> # asyncio.run(Listener(url, ListenOptions(spool_dir=Path("spool"))).run(stop_event))
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from p88.errors import ConfigError
from p88.protocol.admission import AdmissionConfig
from p88.protocol.codec import DataLine
from p88.protocol.server import (
    Authenticated,
    AuthFailed,
    ClientError,
    Closing,
    Event,
    EventInfo,
    Greeted,
    GunReceived,
    Identified,
    Ignored,
    LineRejected,
    LocationAnnounced,
    LocationsKnown,
    ReadReceived,
    ServerConfig,
    StartNeeded,
)
from p88.protocol.tcp import CtpServer, Link
from p88.protocol.times import WallClock, zone
from p88.store import (
    ConnectionRow,
    GunRow,
    IngestWriter,
    ReadRow,
    RejectRow,
    SessionInfo,
    WriterStats,
    check_spool_dir,
    default_session_to_continue,
    listener_key,
    oversize_field,
    session_day,
)

__all__ = ["ListenOptions", "Listener", "ListenerStatus", "default_session", "load_auth_file"]

log = logging.getLogger("p88.listen")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_LOGGED_REJECTS = 10  # per connection, then one line every 1000
#: The GIL switch interval while the listener runs (Python's default is 5 ms). When the
#: writer thread's COPY returns from PostgreSQL it needs the GIL back, and under load the
#: event loop holds it for up to a whole interval: the database idles meanwhile. 1 ms
#: measured 10-15% more reads/s in bench/ingest.py; 0.5 ms was no better.
SWITCH_INTERVAL = 0.001
_switch_lock = threading.Lock()
_switch_state = [0, 0.0]  # listeners running in this process, the interval before the first


@contextmanager
def _fast_switching() -> Iterator[None]:
    """SWITCH_INTERVAL while at least one listener of this process runs, then as it was."""
    with _switch_lock:
        if _switch_state[0] == 0:
            _switch_state[1] = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_state[1], SWITCH_INTERVAL))
        _switch_state[0] += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_state[0] -= 1
            if _switch_state[0] == 0:
                sys.setswitchinterval(_switch_state[1])


@dataclass(frozen=True)
class ListenOptions:
    """Everything ``p88 listen`` can be told; the defaults are race-day defaults."""

    spool_dir: Path
    host: str = "127.0.0.1"
    port: int = 61611
    session: str | None = None
    timezone: str | None = None
    #: The timing partner (code or id) whose sessions these are: what its token may see.
    partner: str | None = None
    users: dict[str, str] | None = None
    auth_method: str = "hmac-sha1"
    time_format: str = "iso"
    stream_mode: str = "push"
    batch_size: int = 1000
    linger: float = 0.005
    max_connections: int = 256
    max_pending: int = 128
    max_pending_per_address: int = 48
    max_per_address: int = 128
    auth_delay: float = 0.5
    auth_max_failures: int = 10
    auth_lockout: float = 60.0
    max_line: int = 4096
    max_queued: int = 200_000
    idle_timeout: float = 120.0
    ping_interval: float = 10.0
    greeting_timeout: float = 15.0
    retry_interval: float = 1.0
    tick_interval: float = 1.0

    def server_config(self) -> ServerConfig:
        return ServerConfig(
            time_format=self.time_format, users=self.users, auth_method=self.auth_method,
            max_line=self.max_line, greeting_timeout=self.greeting_timeout,
            ping_interval=self.ping_interval, idle_timeout=self.idle_timeout,
            stream_mode=self.stream_mode,
        )  # fmt: skip

    def admission(self) -> AdmissionConfig:
        return AdmissionConfig(
            max_connections=self.max_connections, max_pending=self.max_pending,
            max_pending_per_address=self.max_pending_per_address,
            max_per_address=self.max_per_address, delay=self.auth_delay,
            max_failures=self.auth_max_failures, lockout=self.auth_lockout,
        )  # fmt: skip

    @property
    def open_to_network(self) -> bool:
        return self.host not in LOOPBACK


def load_auth_file(path: Path) -> dict[str, str]:
    """Users and passwords for CTP01 authentication: ``user:password`` per line, ``#`` comments.

    CTP01 digests need the plaintext password, so keep this file ``chmod 600``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read auth file {path}: {exc.strerror}") from None
    users: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user or not password or "~" in user + password:
            raise ConfigError(f"{path}:{number}: expected user:password (no '~')")
        users[user.strip()] = password.strip()
    if not users:
        raise ConfigError(f"auth file {path} lists no user")
    return users


def default_session(url: str, tz: str | None, *, now: datetime | None = None) -> str:
    """The newest active ``Session_…`` of today (a restarted listener continues it), else a
    new ``Session_%Y%m%d_%H%M%S`` name. With the database down, always a new name."""
    local = (now or datetime.now(UTC)).astimezone(zone(tz))
    found = default_session_to_continue(url, local.strftime("Session_%Y%m%d_"))
    return found or local.strftime("Session_%Y%m%d_%H%M%S")


@dataclass
class ListenerStatus:
    """A snapshot for the live display and ``--json`` summaries."""

    host: str
    port: int
    default_session: str
    connections: list[dict[str, object]]
    received: int
    rejected: int
    reads_per_s: float
    writer: WriterStats
    backlog: int
    queued: int
    last_read: str


@dataclass
class _LinkState:
    session: str
    greeting: str | None = None
    connection_id: str | None = None
    reads: int = 0
    rejects: int = 0
    lines: int = 0
    used: bool = False  # a read, gun time or reject went to ``session``
    info: dict[str, object] = field(default_factory=dict)


class Listener:
    """The running listener: owns the writer and the server, implements ``App``."""

    def __init__(self, url: str, options: ListenOptions) -> None:
        self.url = url
        self.options = options
        self.writer = IngestWriter(
            url, options.spool_dir, batch_size=options.batch_size, linger=options.linger,
            retry_interval=options.retry_interval,
        )  # fmt: skip
        self.session = options.session or ""
        self.server: CtpServer | None = None
        self.received = 0
        self.rejected = 0
        self._last: tuple[DataLine, Link] | None = None
        self._now_at = 0.0
        self._now_cached = datetime.now(UTC)
        self._rate: deque[tuple[float, int]] = deque(maxlen=20)
        self._state: dict[str, _LinkState] = {}
        self._key = ""
        self._sessions: dict[str, SessionInfo | None] = {}  # None: created (submitted)
        self._clocks: dict[str, WallClock] = {}  # per session: its date, and where it is

    async def run(self, stop: asyncio.Event, *, ready: asyncio.Event | None = None) -> None:
        """Drain any old spool, bind, serve until ``stop`` is set, then close every client,
        flush the writer and return (graceful SIGTERM/SIGINT is the caller setting ``stop``)."""
        with _fast_switching():
            await self._serve(stop, ready)

    async def _serve(self, stop: asyncio.Event, ready: asyncio.Event | None) -> None:
        opts = self.options
        await asyncio.to_thread(check_spool_dir, opts.spool_dir)
        if not self.session:
            self.session = await asyncio.to_thread(default_session, self.url, opts.timezone)
        self._sessions[self.session] = SessionInfo(
            self.session, timezone=opts.timezone, partner=opts.partner
        )
        self.server = CtpServer(
            opts.server_config(), self, host=opts.host, port=opts.port,
            max_connections=opts.max_connections, tick_interval=opts.tick_interval,
            admission=opts.admission(),
        )  # fmt: skip
        await self.server.start()  # bound first: the port says which earlier run was ours
        self._key = self.writer.listener_key = listener_key(self.server.bound_port)
        await asyncio.to_thread(self.writer.start)
        if opts.open_to_network and not opts.users:
            log.warning("listening on %s without --auth-file: anyone on the network can send "
                        "reads", opts.host)  # fmt: skip
        where = (f"session {self.session}" if opts.session else
                 f"the client's event name as session, else {self.session}")  # fmt: skip
        log.info("listening on %s:%d; reads go to %s%s", opts.host, self.server.bound_port,
                 where, "" if opts.open_to_network else
                 " (loopback only; --host 0.0.0.0 opens it to the LAN)")  # fmt: skip
        if ready is not None:
            ready.set()
        try:
            await stop.wait()
        finally:
            log.info("stopping: closing %d connections, flushing", len(self.server.links))
            await self.server.close()
            await asyncio.to_thread(self.writer.stop)
            log.info("stopped; %d reads committed this run", self.writer.stats.committed)

    def _now(self) -> datetime:
        """Receipt time, read from the clock at most once per millisecond (hot path)."""
        mono = time.monotonic()
        if mono - self._now_at > 0.001:
            self._now_cached = datetime.now(UTC)
            self._now_at = mono
        return self._now_cached

    @property
    def last_read(self) -> str:
        if self._last is None:
            return ""
        msg, link = self._last
        return f"{msg.location} tag {msg.tag} at {msg.time.text} ({link.peer})"

    def _today(self) -> date:
        return datetime.now(UTC).astimezone(zone(self.options.timezone)).date()

    def _clock(self, session: str) -> WallClock:
        """The session's clock: its stored date and latest read when a connection's start
        looked them up, else today, fixed now by the session's first read (and stored)."""
        clock = self._clocks.get(session)
        if clock is None:
            clock = self._clocks[session] = WallClock(self._today(), self.options.timezone)
            self.writer.submit(SessionInfo(session, session_date=clock.session_date,
                                           timezone=self.options.timezone,
                                           partner=self.options.partner))  # fmt: skip
        return clock

    async def _know_session(self, session: str) -> None:
        """Load a session's stored date and position once, before its reads arrive."""
        if session in self._clocks:
            return
        known = await asyncio.to_thread(session_day, self.url, session)
        if known is not None and known[0] is not None and session not in self._clocks:
            self._clocks[session] = WallClock(known[0], self.options.timezone, anchor=known[1])

    # --- App -----------------------------------------------------------------------------

    def opened(self, link: Link) -> None:
        st = _LinkState(self.session)
        st.info["listener"] = self._key
        self._state[link.key] = st
        self.writer.track(link.key)
        self.writer.submit(self._row(link))

    def _use(self, st: _LinkState) -> None:
        """The link's first data: create its session now (lazily, see the docstring)."""
        st.used = True
        default = SessionInfo(
            st.session, timezone=self.options.timezone, partner=self.options.partner
        )
        info = self._sessions.get(st.session, default)
        if info is not None:
            self._sessions[st.session] = None
            self.writer.submit(info)

    def _row(
        self, link: Link, ended: datetime | None = None, reason: str | None = None
    ) -> ConnectionRow:
        st = self._state[link.key]
        return ConnectionRow(
            link.key, link.peer_ip, link.peer_port, link.connected_at,
            st.session if st.used else None, st.greeting,
            st.connection_id, dict(st.info), st.lines, ended, reason,
        )  # fmt: skip

    def handle(self, link: Link, event: Event) -> None:
        st = self._state[link.key]
        now = self._now()
        if isinstance(event, ReadReceived | GunReceived):
            msg = event.read if isinstance(event, ReadReceived) else event.gun
            st.lines += 1
            if not st.used:
                self._use(st)
                self.writer.submit(self._row(link))
            problem = None
            if len(msg.tag) > 16 or len(msg.reader) > 16 or len(msg.location) > 100:
                problem = oversize_field(msg.location, msg.tag, msg.reader)
            if problem:
                self._reject(link, st, msg.raw, problem, now)
                return
            when = self._clock(st.session).resolve(msg.time)
            raw = msg.raw.decode("utf-8", "replace")
            if isinstance(event, GunReceived):
                self.writer.submit(GunRow(st.session, msg.location, when, msg.reader, msg.seq,
                                          st.connection_id, raw, now, link.key))  # fmt: skip
                log.info("gun time %s at %s from %s", msg.time.text, msg.location, link.peer)
                return
            st.reads += 1
            self.received += 1
            self._last = (msg, link)
            self.writer.submit(ReadRow(
                st.session, msg.location, msg.tag, when, msg.lap, msg.reader, msg.gator, msg.seq,
                st.connection_id, raw, now, link.key,
            ))  # fmt: skip
        elif isinstance(event, LineRejected):
            st.lines += 1
            self._reject(link, st, event.raw, event.reason, now)
        elif isinstance(event, Greeted):
            st.greeting = event.raw.decode("utf-8", "replace")
            if not self.options.users:
                log.info("%s connected: %s", link.peer, st.greeting[:80])
            self.writer.submit(self._row(link))
        elif isinstance(event, Identified):
            st.connection_id = event.connection_id[:128]
            self.writer.submit(self._row(link))
        elif isinstance(event, EventInfo):
            self._event_info(link, st, event)
        elif isinstance(event, LocationsKnown):
            st.info["locations"] = list(event.locations)
            self.writer.submit(self._row(link))
        elif isinstance(event, LocationAnnounced):
            if link.machine is not None:
                st.info["locations"] = list(link.machine.locations)
            log.info("%s announced location %s", link.peer, event.location.location)
            self.writer.submit(self._row(link))
        elif isinstance(event, ClientError):
            log.warning("%s replied err~%s~%s", link.peer, event.err.command, event.err.message)
        elif isinstance(event, Closing):
            if not event.reason.startswith("authentication failed"):  # summarised instead
                log.warning("closing %s: %s", link.peer, event.reason)
        elif isinstance(event, Authenticated):
            log.info("%s connected as %s: %s", link.peer, event.user, (st.greeting or "")[:80])
        elif isinstance(event, AuthFailed):
            st.info["auth_failed"] = event.user[:40]
        elif isinstance(event, Ignored):
            log.debug("%s: ignored %r", link.peer, event.message)

    def _event_info(self, link: Link, st: _LinkState, event: EventInfo) -> None:
        st.info["event"] = {"name": event.name, "id": event.event_id,
                            "description": event.description}  # fmt: skip
        if not self.options.session and event.name.strip() and not st.used:
            st.session = event.name.strip()[:255]
            info = SessionInfo(
                st.session, event.name, event.event_id or None, event.description or None,
                None, self.options.timezone, self.options.partner,
            )  # fmt: skip
            if st.session in self._sessions and self._sessions[st.session] is None:
                self.writer.submit(info)  # created already: update what the client says
            else:
                self._sessions[st.session] = info
        self.writer.submit(self._row(link))

    def _reject(self, link: Link, st: _LinkState, raw: bytes, reason: str, now: datetime) -> None:
        if not st.used:
            self._use(st)
            self.writer.submit(self._row(link))
        st.rejects += 1
        self.rejected += 1
        if st.rejects <= _LOGGED_REJECTS or st.rejects % 1000 == 0:
            log.warning("rejected line #%d from %s: %s", st.rejects, link.peer, reason)
        self.writer.submit(RejectRow(link.peer, raw, reason, now, st.session, link.key, st.lines))

    async def positions(self, link: Link, need: StartNeeded) -> dict[str, int | None]:
        st = self._state[link.key]
        await self._know_session(st.session)
        found: dict[str, int] = {}
        if need.connection_id:
            future = self.writer.positions(st.session, need.connection_id[:128])
            found = await asyncio.wrap_future(future)
        resume = {loc: (found[loc] + 1 if loc in found else None) for loc in need.locations}
        for loc, seq in resume.items():
            if seq is not None:
                log.info("%s: resuming %s from seq %d", link.peer, loc, seq)
        return resume

    def closed(self, link: Link, reason: str) -> None:
        st = self._state.get(link.key)
        if st is None:
            return
        self.writer.submit(self._row(link, datetime.now(UTC), reason))
        del self._state[link.key]
        if link.auth_failed:
            self.writer.summary(link.key)  # counted in the login summary, not logged alone
            return
        peer, reads, rejects = link.peer, st.reads, st.rejects

        def report(done: Future[tuple[int, int, int]]) -> None:
            stored, dups, _ = done.result()
            waiting = max(0, reads - stored - dups)
            log.info(
                "%s closed (%s): session %s: %d reads received, %d stored, %d duplicates, "
                "%d rejected%s", peer, reason, st.session if st.used else "(none: no data)",
                reads, stored, dups, rejects,
                f", {waiting} spooled until the database is back" if waiting else "",
            )  # fmt: skip

        self.writer.summary(link.key).add_done_callback(report)

    def overloaded(self) -> bool:
        return self.writer.queued > self.options.max_queued

    # --- status --------------------------------------------------------------------------

    def status(self) -> ListenerStatus:
        loop_now = asyncio.get_running_loop().time()
        self._rate.append((loop_now, self.received))
        t0, n0 = self._rate[0]
        rate = (self.received - n0) / (loop_now - t0) if loop_now > t0 else 0.0
        links = self.server.links if self.server else set()
        conns: list[dict[str, object]] = []
        for link in sorted(links, key=lambda x: x.connected_at):
            st = self._state.get(link.key)
            if st is not None:
                conns.append({"peer": link.peer, "connection_id": st.connection_id,
                              "session": st.session, "reads": st.reads, "rejects": st.rejects,
                              "since": link.connected_at.isoformat()})  # fmt: skip
        port = self.server.bound_port if self.server else self.options.port
        return ListenerStatus(
            self.options.host, port, self.session, conns, self.received, self.rejected, rate,
            self.writer.stats, self.writer.backlog, self.writer.queued, self.last_read,
        )  # fmt: skip
