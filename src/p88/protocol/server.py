"""The server side of one CTP01 connection as a sans-IO state machine.

Bytes in, events and bytes out, a clock passed in: :class:`ServerConnection` never
touches a socket, a timer or the database. The asyncio server (:mod:`p88.protocol.tcp`)
feeds it ``receive(data, now)`` and ``tick(now)``, writes ``data_to_send()`` and reacts
to the events; a test can drive it line by line.

The dialogue (ctp01.md §7): read the client greeting (field 3 must be ``CTP01``, else
:class:`Closing`); send p88's greeting and request lines; if authentication is on, check
``authorize~user~digest`` against a fresh seed; then ask ``getconnectionid``,
``geteventinfo`` and ``getlocations`` one after another (each answered or given up after
``command_timeout``). Then :class:`StartNeeded` asks the caller where each location
should resume (computed from *committed* reads) and :meth:`ServerConnection.start` sends
``start~loc[~seq]``, once per location; a later ``newlocation`` raises StartNeeded again.
Data lines are events from the first byte on (a client may send early). ``ping`` goes
out every ``ping_interval`` and a link that leaves ``max_missed_pings`` unanswered, or
sends no complete line for ``idle_timeout``, is closed. A client ``ping`` is answered
``ack~ping``.

Timers count complete lines, never bytes: a client trickling one byte a second must not
hold its socket forever. The greeting (and authentication) must be complete within
``greeting_timeout`` of the connection, however the bytes arrive; after that, a link
lives on complete lines (a ping answered, a read) and nothing else. A failed
authentication is :class:`AuthFailed` before :class:`Closing`, so the server can throttle
the address. :meth:`ServerConnection.finish` turns what a client left inside an
unterminated line when it hung up into a :class:`LineRejected` (a 5 MB line with no end
is kept as a reject, truncated, never dropped silently).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from p88 import __version__
from p88.errors import ProtocolError
from p88.protocol import auth
from p88.protocol.codec import (
    Ack,
    Authorize,
    Command,
    Err,
    Greeting,
    GunTime,
    LineFramer,
    LineTooLong,
    Message,
    NewLocation,
    Read,
    parse_line,
)

__all__ = [
    "AuthFailed",
    "Authenticated",
    "ClientError",
    "Closing",
    "Event",
    "EventInfo",
    "Greeted",
    "GunReceived",
    "Identified",
    "Ignored",
    "LineRejected",
    "LocationAnnounced",
    "LocationsKnown",
    "ReadReceived",
    "ServerConfig",
    "ServerConnection",
    "StartNeeded",
]


@dataclass(frozen=True)
class ServerConfig:
    """What p88 asks of every client, and its patience. ``users`` maps user -> password
    and turns authentication on (``auth_method``)."""

    name: str = "p88"
    version: str = __version__
    time_format: str = "iso"
    users: dict[str, str] | None = None
    auth_method: str = "hmac-sha1"
    max_line: int = 4096
    greeting_timeout: float = 15.0
    command_timeout: float = 10.0
    ping_interval: float = 10.0
    max_missed_pings: int = 3
    idle_timeout: float = 120.0
    stream_mode: str = "push"  # "pull": ask with getdata~N~loc~seq instead of start
    pull_max: int = 50
    poll_interval: float = 1.0

    def request_lines(self, seed: str | None) -> list[str]:
        if self.stream_mode == "pull":  # newlocations and pushmode-ack are push-only
            lines = ["stream-mode=pull", "location=multi", "guntimes=true",
                     f"time-format={self.time_format}"]  # fmt: skip
            if seed is not None:
                lines += [f"authentication={self.auth_method}", f"authentication-seed={seed}"]
            return lines
        lines = [
            "stream-mode=push",
            "location=multi",
            "guntimes=true",
            "newlocations=true",
            "connection-id=true",
            "pushmode-ack=true",
            f"time-format={self.time_format}",
        ]
        if seed is not None:
            lines += [f"authentication={self.auth_method}", f"authentication-seed={seed}"]
        return lines


@dataclass(frozen=True)
class Greeted:
    greeting: Greeting
    raw: bytes


@dataclass(frozen=True)
class Authenticated:
    user: str


@dataclass(frozen=True)
class AuthFailed:
    """A wrong user or password (the connection closes right after)."""

    user: str


@dataclass(frozen=True)
class Identified:
    connection_id: str


@dataclass(frozen=True)
class EventInfo:
    name: str
    event_id: str
    description: str


@dataclass(frozen=True)
class LocationsKnown:
    locations: tuple[str, ...]


@dataclass(frozen=True)
class StartNeeded:
    """Answer with ``ServerConnection.start({loc: resume_seq or None})``."""

    connection_id: str | None
    locations: tuple[str, ...]


@dataclass(frozen=True)
class ReadReceived:
    read: Read


@dataclass(frozen=True)
class GunReceived:
    gun: GunTime


@dataclass(frozen=True)
class LocationAnnounced:
    location: NewLocation


@dataclass(frozen=True)
class LineRejected:
    raw: bytes
    reason: str


@dataclass(frozen=True)
class ClientError:
    err: Err


@dataclass(frozen=True)
class Ignored:
    message: Message


@dataclass(frozen=True)
class Closing:
    """The connection must close once ``data_to_send()`` is flushed."""

    reason: str


Event = (
    Greeted | Authenticated | AuthFailed | Identified | EventInfo | LocationsKnown | StartNeeded
    | ReadReceived | GunReceived | LocationAnnounced | LineRejected | ClientError | Ignored
    | Closing
)  # fmt: skip

_OPENING = ("getconnectionid", "geteventinfo", "getlocations")


@dataclass
class ServerConnection:
    """One client's CTP01 state. Create per accepted connection; see the module docstring."""

    config: ServerConfig
    now: float
    seed: str | None = None
    state: str = "greeting"  # greeting, auth, opening, streaming, closed
    connection_id: str | None = None
    locations: list[str] = field(default_factory=list)
    started: set[str] = field(default_factory=set)
    _framer: LineFramer = field(init=False)
    _out: bytearray = field(default_factory=bytearray)
    _pending: list[str] = field(default_factory=list)  # opening commands still to ask
    _asked: tuple[str, float] | None = None  # command awaiting its reply, and since when
    _awaiting_start: set[str] = field(default_factory=set)
    _last_heard: float = 0.0  # when the last complete line arrived
    _now: float = 0.0
    _pull_next: dict[str, int | None] = field(default_factory=dict)
    _pulling: list[str | int] | None = None  # [location, lines still expected or -1, count]
    _pull_index: int = 0
    _pull_full: bool = False
    _pull_wait: float | None = None
    _last_ping: float = 0.0
    _missed: int = 0
    handshaken: bool = False  # greeting (and login) passed: the client is who it says

    def __post_init__(self) -> None:
        self._framer = LineFramer(self.config.max_line)
        self._last_heard = self._last_ping = self.now
        if self.config.users and self.seed is None:
            self.seed = auth.new_seed()

    # --- I/O facing ---------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """Bytes to write to the socket now (and forget)."""
        data = bytes(self._out)
        self._out.clear()
        return data

    def receive(self, data: bytes, now: float) -> list[Event]:
        """Feed received bytes (any chunking); return what they mean, in order."""
        events: list[Event] = []
        if self.state == "closed":
            return events
        self._now = now
        for frame in self._framer.feed(data):
            self._last_heard = now
            self._missed = 0
            if isinstance(frame, LineTooLong):
                reason = f"line longer than {self.config.max_line} bytes ({frame.size})"
                events.append(LineRejected(frame.prefix, reason))
                continue
            events.extend(self._line(frame, now))
            if self.state == "closed":
                break
        return events

    def tick(self, now: float) -> list[Event]:
        """Advance timers: greeting/command timeouts, pings, dead and idle links."""
        cfg = self.config
        if self.state == "closed":
            return []
        if self.state in ("greeting", "auth") and now - self.now > cfg.greeting_timeout:
            return [self._close(f"no {self.state} within {cfg.greeting_timeout:g} s")]
        if now - self._last_heard > cfg.idle_timeout:
            return [self._close(f"no complete line for {cfg.idle_timeout:g} s")]
        events: list[Event] = []
        self._now = now
        if self._pull_wait is not None and now >= self._pull_wait:
            self._pull_wait = None
            self._pull_full = False
            self._pull_send()
        if self._asked and now - self._asked[1] > cfg.command_timeout:
            events += self._next_opening(now)  # the client does not know this command
        if self.state in ("opening", "streaming") and now - self._last_ping >= cfg.ping_interval:
            if self._missed >= cfg.max_missed_pings:
                return [self._close(f"dead link: {self._missed} pings unanswered")]
            self._send("ping")
            self._missed += 1
            self._last_ping = now
        return events

    def finish(self) -> list[Event]:
        """The client hung up: what it left inside an unterminated line, as a reject (after
        the handshake only; before it, a broken greeting is the close reason, not data)."""
        tail = self._framer.flush()
        if tail is None or not self.handshaken:
            return []
        if isinstance(tail, LineTooLong):
            reason = (f"line longer than {self.config.max_line} bytes ({tail.size}) and "
                      "unterminated when the client hung up")  # fmt: skip
            return [LineRejected(tail.prefix, reason)]
        return [
            LineRejected(tail, f"unterminated line when the client hung up ({len(tail)} bytes)")
        ]

    def start(self, positions: dict[str, int | None]) -> None:
        """Send ``start~loc[~seq]`` for locations not started yet on this connection (in pull
        mode: start polling them with ``getdata~N~loc[~seq]``)."""
        for loc, seq in positions.items():
            self._awaiting_start.discard(loc)
            if loc in self.started or self.state == "closed":
                continue
            self.started.add(loc)
            if self.config.stream_mode == "pull":
                self._pull_next[loc] = seq
            else:
                self._send("start", loc, *(() if seq is None else (str(seq),)))
        if self.config.stream_mode == "pull":
            self._pull_send()

    # --- pull mode ----------------------------------------------------------------------

    def _pull_send(self) -> None:
        """Ask the next location for up to ``pull_max`` lines, unless a getdata is pending."""
        if self._pulling is not None or not self._pull_next or self.state == "closed":
            return
        order = list(self._pull_next)
        loc = order[self._pull_index % len(order)]
        seq = self._pull_next[loc]
        where = () if not loc else (loc,) if seq is None else (loc, str(seq))
        self._send("getdata", str(self.config.pull_max), *where)
        self._pulling = [loc, -1, 0]

    def _pull_ack(self, args: tuple[str, ...]) -> None:
        if self._pulling is None:
            return
        count = int(args[0]) if args and args[0].isdigit() else 0
        self._pulling[1] = self._pulling[2] = count
        if count == 0:
            self._pull_done(full=False)

    def _pulled(self, seq: int) -> None:
        if self._pulling is None or int(self._pulling[1]) <= 0:
            return
        loc = str(self._pulling[0])
        if loc:
            self._pull_next[loc] = max(self._pull_next.get(loc) or 0, seq + 1)
        self._pulling[1] = int(self._pulling[1]) - 1
        if self._pulling[1] == 0:
            self._pull_done(full=self._pulling[2] == self.config.pull_max)

    def _pull_done(self, full: bool) -> None:
        """A getdata answered: ask again at once while a location has more, otherwise move on;
        after a round with nothing new, wait ``poll_interval`` (``tick`` resumes)."""
        self._pulling = None
        self._pull_full = self._pull_full or full
        if full:
            self._pull_send()
            return
        self._pull_index += 1
        if self._pull_index % len(self._pull_next) == 0 and not self._pull_full:
            self._pull_wait = self._now + self.config.poll_interval
            return
        if self._pull_index % len(self._pull_next) == 0:
            self._pull_full = False
        self._pull_send()

    # --- protocol -----------------------------------------------------------------------

    def _send(self, *fields: str) -> None:
        self._out += "~".join(fields).encode() + b"\r\n"

    def _close(self, reason: str) -> Closing:
        self.state = "closed"
        return Closing(reason)

    def _line(self, line: bytes, now: float) -> list[Event]:
        try:
            msg = parse_line(line)
        except ProtocolError as exc:
            if self.state == "greeting":
                return [self._close(f"not a CTP01 client greeting: {exc.message}")]
            return [LineRejected(line, exc.message)]
        if self.state == "greeting":
            return self._greeting(msg, line, now)
        if self.state == "auth":
            return self._authorize(msg, now)
        if self._pulling is not None and isinstance(msg, Read | GunTime | NewLocation):
            self._pulled(msg.seq)
        if isinstance(msg, Read):
            return [ReadReceived(msg)]
        if isinstance(msg, GunTime):
            return [GunReceived(msg)]
        if isinstance(msg, NewLocation):
            return [LocationAnnounced(msg), *self._new_location(msg.location)]
        if isinstance(msg, Ack):
            return self._ack(msg, now)
        if isinstance(msg, Err):
            events: list[Event] = [ClientError(msg)]
            if self._asked and msg.command == self._asked[0]:
                events += self._next_opening(now)
            if msg.command == "getdata" and self._pulling is not None:
                self._pull_done(full=False)
            return events
        if isinstance(msg, Command) and msg.name == "ping":
            self._send("ack", "ping")
            return []
        return [Ignored(msg)]

    def _greeting(self, msg: Message, raw: bytes, now: float) -> list[Event]:
        if not isinstance(msg, Greeting) or msg.protocol != "CTP01":
            shown = raw[:80].decode("utf-8", "replace")
            return [self._close(f"not a CTP01 client greeting: {shown!r}")]
        requests = self.config.request_lines(self.seed)
        self._send(self.config.name, self.config.version, str(len(requests)))
        for line in requests:
            self._out += line.encode() + b"\r\n"
        events: list[Event] = [Greeted(msg, raw)]
        if self.seed is not None:
            self.state = "auth"
            return events
        return events + self._open(now)

    def _authorize(self, msg: Message, now: float) -> list[Event]:
        users = self.config.users or {}
        if not isinstance(msg, Authorize):
            self._send("err", "authorize", "authorization required")
            return [self._close(f"expected authorize, got {type(msg).__name__}")]
        password = users.get(msg.user)
        assert self.seed is not None
        if password is None or not auth.verify(
            self.config.auth_method, self.seed, password, msg.digest
        ):
            self._send("err", "authorize", "invalid password")
            return [
                self._close(f"authentication failed for user {msg.user!r}"),
                AuthFailed(msg.user),
            ]
        self._send("ack", "authorize")
        return [Authenticated(msg.user), *self._open(now)]

    def _open(self, now: float) -> list[Event]:
        self.state = "opening"
        self.handshaken = True
        self._pending = list(_OPENING)
        return self._next_opening(now)

    def _next_opening(self, now: float) -> list[Event]:
        self._asked = None
        if self._pending:
            command = self._pending.pop(0)
            self._send(command)
            self._asked = (command, now)
            return []
        self.state = "streaming"
        if not self.locations:
            if self.config.stream_mode == "pull":  # no location known: poll without a filter
                self._pull_next[""] = None
                self._pull_send()
            return []
        self._awaiting_start.update(self.locations)
        return [StartNeeded(self.connection_id, tuple(self.locations))]

    def _ack(self, msg: Ack, now: float) -> list[Event]:
        events: list[Event] = []
        if msg.command == "getconnectionid" and msg.args and msg.args[0]:
            self.connection_id = msg.args[0]
            events.append(Identified(msg.args[0]))
        elif msg.command == "geteventinfo":
            name, event_id, description = (list(msg.args) + ["", "", ""])[:3]
            events.append(EventInfo(name, event_id, description))
        elif msg.command == "getlocations":
            for loc in msg.args:
                if loc and loc not in self.locations:
                    self.locations.append(loc)
            events.append(LocationsKnown(tuple(self.locations)))
        elif msg.command == "getdata":
            self._pull_ack(msg.args)
            return events
        elif msg.command in ("ping", "start", "stop"):
            return events
        else:
            events.append(Ignored(msg))
        if self._asked and msg.command == self._asked[0]:
            events += self._next_opening(now)
        return events

    def _new_location(self, loc: str) -> list[Event]:
        if loc not in self.locations:
            self.locations.append(loc)
        if self.state != "streaming" or loc in self.started or loc in self._awaiting_start:
            return []  # the opening's StartNeeded will include it
        self._awaiting_start.add(loc)
        return [StartNeeded(self.connection_id, (loc,))]
