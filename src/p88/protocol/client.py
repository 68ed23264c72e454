"""The client side of CTP01 as a sans-IO state machine: bytes in, events and bytes out.

This is what ChronoTrack's SimpleClient does, in miniature: greet, read the server's
greeting and request lines, honour them (push or pull, single or multi location, time and
tag-event format, gun times, new locations, connection id, push-mode acks,
authentication), then answer every command the server sends, and in push mode stream
the lines of each started location. It never touches a socket or a clock: the asyncio
driver (:mod:`p88.protocol.replay`) moves bytes and advances ``Feed.observed``; this
class decides what to say. Every line is parsed and written by the listener's codec.

Phases::

    greeting ──server greeting──▶ requests ──N request lines──▶ (auth ──ack~authorize──▶) ready

Anything the client cannot do is answered with ``err~<command>~<reason>`` (spelled as
SimpleClient does, ctp01.md §3), and the connection goes on. Only a server that is not
CTP01, asks for a format the client cannot write, or refuses the login ends it
(:class:`Fatal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from p88.errors import ProtocolError
from p88.protocol.auth import METHODS, digest
from p88.protocol.codec import (
    Ack,
    Command,
    Err,
    Greeting,
    GunTime,
    LineFramer,
    LineTooLong,
    Message,
    NewLocation,
    RequestLine,
    format_line,
    indicator_separator,
    parse_line,
)
from p88.protocol.feed import TIME_FORMATS, Feed, Line, render_time
from p88.protocol.times import ReadTime

_BOOLS = {"true": True, "false": False}


@dataclass
class Negotiated:
    """The request lines in force, starting from S1's defaults (pull, multi)."""

    stream_mode: str = "pull"
    location: str = "multi"
    time_format: str = "normal"
    tagevent_format: str = "CT01_33"
    guntimes: bool = False
    newlocations: bool = False
    connection_id: bool = False
    pushmode_ack: bool = False
    authentication: str = "none"
    seed: str = ""
    unknown: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ClientOptions:
    """Who the client says it is, and what it answers about itself."""

    connection_id: str
    name: str = "p88-replay"
    version: str = "0.1.0"
    user: str | None = None
    password: str | None = None
    event_name: str = ""
    event_id: str = "0"
    event_description: str = ""


@dataclass(frozen=True)
class Ready:
    """Handshake done (after ``ack~authorize`` when asked); ``settings`` is what was agreed."""

    settings: Negotiated


@dataclass(frozen=True)
class Started:
    """The server started a location, from ``seq`` (inclusive) or from the beginning."""

    location: str
    seq: int | None


@dataclass(frozen=True)
class Stopped:
    location: str


@dataclass(frozen=True)
class Answered:
    """A command the client answered (``geteventinfo``, ``getdata``, ``ping`` ...)."""

    command: str
    refused: str | None = None


@dataclass(frozen=True)
class Noted:
    """Something worth a log line that changes nothing: a server ``err~``, a bad line."""

    text: str


@dataclass(frozen=True)
class Fatal:
    """The connection cannot go on; ``retry`` says whether reconnecting could help."""

    reason: str
    retry: bool = False


Event = Ready | Started | Stopped | Answered | Noted | Fatal


class ClientProtocol:
    """One CTP01 connection seen from the client: feed it bytes, send what it queues."""

    def __init__(self, feeds: Sequence[Feed], options: ClientOptions) -> None:
        names = [f.location for f in feeds]
        if len(set(names)) != len(names):
            raise ProtocolError(f"two feeds for one location in one client: {names}")
        self.feeds = {f.location: f for f in feeds}
        self.options = options
        self.settings = Negotiated()
        self.phase = "greeting"
        self.closed = False
        self.started: dict[str, int] = {}
        self.pulled: dict[str, int] = {}
        self.sent = 0
        self._pending_requests = 0
        self._held_newlocations = False
        self._sep: str | None = None
        self._framer = LineFramer(max_line=4096)
        self._out = bytearray(format_line(Greeting(options.name, options.version, "CTP01")))

    # -- bytes ------------------------------------------------------------------------
    def data_to_send(self) -> bytes:
        """Everything queued since the last call (the greeting first)."""
        data = bytes(self._out)
        self._out.clear()
        return data

    def receive(self, data: bytes) -> list[Event]:
        """Feed bytes from the server; return what happened, in order."""
        events: list[Event] = []
        for frame in self._framer.feed(data):
            if self.closed:
                break
            if isinstance(frame, LineTooLong):
                events.append(Noted(f"dropped a {frame.size}-byte line from the server"))
                continue
            try:
                msg = parse_line(frame)
            except ProtocolError as exc:
                if self.phase == "greeting":
                    events.append(self._fatal(f"not a CTP01 server: {exc.message}"))
                else:
                    events.append(Noted(f"ignored a line from the server: {exc.message}"))
                continue
            events.extend(self._handle(msg))
        return events

    def _send(self, msg: Message) -> None:
        self._out += format_line(msg)

    def _fatal(self, reason: str, retry: bool = False) -> Fatal:
        self.closed = True
        return Fatal(reason, retry)

    # -- handshake --------------------------------------------------------------------
    def _handle(self, msg: Message) -> list[Event]:
        if self.phase == "greeting":
            count = msg.request_count if isinstance(msg, Greeting) else None
            if count is None:
                return [self._fatal(f"not a CTP01 server greeting: {format_line(msg)!r}")]
            self._pending_requests = count
            self.phase = "requests"
            return self._maybe_negotiated()
        if self.phase == "requests" and isinstance(msg, RequestLine):
            self._pending_requests -= 1
            problem = self._request(msg)
            if problem:
                return [self._fatal(problem)]
            return self._maybe_negotiated()
        if self.phase == "requests":  # fewer request lines than announced: go with them
            self._pending_requests = 0
            events = self._maybe_negotiated()
            return events + ([] if self.closed else self._handle(msg))
        if isinstance(msg, Command):
            return self._command(msg)
        if isinstance(msg, Ack):
            if msg.command == "authorize" and self.phase == "auth":
                return self._ready()
            return [Noted(f"server sent ack~{msg.command}")]
        if isinstance(msg, Err):
            if msg.command == "authorize":
                return [self._fatal(f"the server refused the login: {msg.message or 'no reason'}")]
            return [Noted(f"server error: err~{msg.command}~{msg.message}")]
        return [Noted(f"ignored unexpected {type(msg).__name__} from the server")]

    def _request(self, req: RequestLine) -> str | None:
        """Apply one request line; the text of a fatal problem, or None."""
        s, key, value = self.settings, req.key.lower(), req.value.strip()
        choices: dict[str, tuple[str, ...]] = {
            "stream-mode": ("push", "pull"),
            "location": ("single", "multi"),
            "time-format": TIME_FORMATS,
            "authentication": ("none", *METHODS),
        }
        if key in choices:
            if value.lower() not in choices[key]:
                return f'invalid value for "{key}": {value!r}'
            setattr(s, key.replace("-", "_"), value.lower())
        elif key in ("guntimes", "newlocations", "connection-id", "pushmode-ack"):
            if value.lower() not in _BOOLS:
                return f'invalid value for "{key}": {value!r}'
            setattr(s, key.replace("-", "_"), _BOOLS[value.lower()])
        elif key == "tagevent-format":
            try:
                indicator_separator(value)
            except ProtocolError as exc:
                return f"cannot send tagevent-format={value}: {exc.message}"
            s.tagevent_format = value
        elif key == "authentication-seed":
            s.seed = value
        else:
            s.unknown.append(key)
        return None

    def _maybe_negotiated(self) -> list[Event]:
        if self._pending_requests > 0:
            return []
        s = self.settings
        if s.authentication == "none":
            return self._ready()
        user, password = self.options.user, self.options.password
        if user is None or password is None:
            return [
                self._fatal(
                    f"the server requires {s.authentication} authentication: "
                    "give --user and --password"
                )
            ]
        if s.authentication != "plaintext" and not s.seed:
            return [self._fatal(f"the server asked for {s.authentication} but sent no seed")]
        self._out += f"authorize~{user}~{digest(s.authentication, s.seed, password)}\r\n".encode()
        self.phase = "auth"
        return []

    def _ready(self) -> list[Event]:
        self.phase = "ready"
        s = self.settings
        if s.location == "single" and len(self.feeds) > 1:
            return [
                self._fatal(
                    f"the server takes one location per connection (location=single), this "
                    f"client has {len(self.feeds)}: replay with --clients per-file"
                )
            ]
        if s.stream_mode == "push" and s.location == "multi" and s.newlocations:
            if s.connection_id:
                self._held_newlocations = True  # S1 rev 7: wait for getconnectionid
            else:
                self._announce_locations()
        return [Ready(self.settings)]

    def _announce_locations(self) -> None:
        self._held_newlocations = False
        for feed in self.offered():
            index = min(max(feed.observed, 1), len(feed)) - 1
            moment = feed.moments[index]
            text = render_time(moment, self.settings.time_format, feed.day0)
            self._send(
                NewLocation(
                    0,
                    feed.location,
                    "newlocation",
                    ReadTime("text", text),
                    0,
                    feed.reader,
                    0,
                    fmt=self.settings.tagevent_format,
                )
            )

    def offered(self) -> list[Feed]:
        """The feeds this connection serves (one only, in single mode: see ``_ready``)."""
        return list(self.feeds.values())

    # -- commands ---------------------------------------------------------------------
    def _command(self, cmd: Command) -> list[Event]:
        name, args = cmd.name, cmd.args
        o = self.options
        if name == "ping":
            self._send(Ack("ping"))
        elif name == "geteventinfo":
            self._send(Ack("geteventinfo", (o.event_name, o.event_id, o.event_description)))
        elif name == "getlocations":
            self._send(Ack("getlocations", tuple(f.location for f in self.offered())))
        elif name == "getconnectionid":
            self._send(Ack("getconnectionid", (o.connection_id,)))
            if self._held_newlocations:
                self._announce_locations()
        elif name in ("start", "stop"):
            return self._start_stop(name, args)
        elif name == "getdata":
            return self._getdata(args)
        else:  # parse_line only makes Commands of known names; keep S1's catch-all anyway
            self._send(Err("", "unknown command"))
        return [Answered(name)]

    def _refuse(self, command: str, reason: str) -> list[Event]:
        self._send(Err(command, reason))
        return [Answered(command, refused=reason)]

    def _start_stop(self, name: str, args: tuple[str, ...]) -> list[Event]:
        if self.settings.stream_mode != "push":
            return self._refuse(name, "command unavailable in pull mode")
        if len(args) > (2 if name == "start" else 1):
            return self._refuse(name, "invalid paramater count")
        offered = {f.location: f for f in self.offered()}
        if args and args[0] not in offered:
            return self._refuse(name, "invalid location requested")
        targets = [offered[args[0]]] if args else list(offered.values())
        events: list[Event] = []
        if name == "stop":
            for feed in targets:
                self.started.pop(feed.location, None)
                events.append(Stopped(feed.location))
        else:
            seq: int | None = None
            if len(args) == 2:
                if not args[1].isdigit():
                    return self._refuse(name, "invalid start sequence number requested")
                seq = int(args[1])
            for feed in targets:
                if seq is not None:
                    self.started[feed.location] = feed.index_of(seq)
                else:  # a repeated start~loc must not replay the location from the top (S5)
                    self.started.setdefault(feed.location, 0)
                events.append(Started(feed.location, seq))
        if self.settings.pushmode_ack:
            self._send(Ack(name, args[:1]))
        return events

    def _getdata(self, args: tuple[str, ...]) -> list[Event]:
        if self.settings.stream_mode != "pull":
            return self._refuse("getdata", "command unavailable in push mode")
        if not args or not args[0].isdigit() or len(args) > 3:
            return self._refuse("getdata", "invalid paramater count")
        limit = int(args[0])
        offered = {f.location: f for f in self.offered()}
        if len(args) >= 2 and args[1] not in offered:
            return self._refuse("getdata", "unknown location")
        feeds = [offered[args[1]]] if len(args) >= 2 else list(offered.values())
        if len(args) == 3:
            if not args[2].isdigit():
                return self._refuse("getdata", "invalid seqnr parameter")
            self.pulled[args[1]] = feeds[0].index_of(int(args[2]))
        batch: list[bytes] = []
        for feed in feeds:
            cursor = self.pulled.get(feed.location, 0)
            while cursor < feed.observed and len(batch) < limit:
                batch.append(self._render(feed, cursor))
                cursor += 1
            self._advanced(feed, cursor, self.pulled.get(feed.location, 0))
            self.pulled[feed.location] = cursor
        self._send(Ack("getdata", (str(len(batch)),)))
        for line in batch:
            self._out += line
        self.sent += len(batch)
        return [Answered("getdata")]

    # -- data -------------------------------------------------------------------------
    def _render(self, feed: Feed, index: int) -> bytes:
        """Line ``index`` of ``feed`` in the negotiated formats (verbatim when they match).

        Otherwise the fields are joined with the separator the codec derives from the
        indicator — the same layout as ``format_line``, without building a new message
        per line (this is the replay's hot loop).
        """
        line: Line = feed.lines[index]
        s = self.settings
        fmt = s.tagevent_format
        if line.fmt == fmt and line.time.kind == s.time_format:
            return line.raw + b"\r\n" if line.raw else format_line(line)
        if self._sep is None:
            self._sep = indicator_separator(fmt)
        text = render_time(feed.moments[index], s.time_format, feed.day0)
        fields = (fmt, str(line.seq), line.location, line.tag, text, str(line.lap), line.reader,
                  str(line.gator))  # fmt: skip
        return (self._sep.join(fields) + "\r\n").encode("utf-8", "surrogateescape")

    @staticmethod
    def _advanced(feed: Feed, new: int, old: int) -> None:
        feed.resent += max(0, min(feed.sent_upto, new) - old)
        feed.sent_upto = max(feed.sent_upto, new)

    def pump(self, limit: int = 2000) -> int:
        """Push mode: queue up to ``limit`` observed, unsent lines of started locations."""
        if self.closed or self.phase != "ready" or self.settings.stream_mode != "push":
            return 0
        queued = 0
        skip_guns = not self.settings.guntimes
        for location, cursor in list(self.started.items()):
            feed = self.feeds[location]
            old = cursor
            while cursor < feed.observed and queued < limit:
                if not (skip_guns and isinstance(feed.lines[cursor], GunTime)):
                    self._out += self._render(feed, cursor)
                    queued += 1
                cursor += 1
            self.started[location] = cursor
            self._advanced(feed, cursor, old)
        self.sent += queued
        return queued

    def caught_up(self) -> bool:
        """Nothing observed is left unsent on this connection (push: started locations)."""
        if self.settings.stream_mode == "pull":
            cursors = self.pulled
        else:
            cursors = self.started
        return all(cursors.get(f.location, -1) >= f.observed for f in self.offered())
