"""CTP01 lines <-> typed messages, with no I/O: the codec both ends of p88 share.

Everything here is pure: bytes or text in, dataclasses out, and back. The listener's
server state machine, ``p88 replay``/``p88 simulate`` (the client side) and ``p88 import``
all drive these same functions, so a line means the same thing everywhere.

Reading a stream::

    framer = LineFramer(max_line=4096)
    for frame in framer.feed(chunk):          # any chunking: bytes from recv()
        if isinstance(frame, LineTooLong):
            ...                               # record a reject, the framer already resynced
            continue
        msg = parse_line(frame)               # raises ProtocolError on a bad line
        if isinstance(msg, Read): ...

``parse_line`` dispatches on the first field and needs no context: data lines
(``CT01_XY`` with the separator taken from the indicator, so ``CT01_13,1,start,...``
works) become :class:`Read`, :class:`GunTime` (tag ``guntime`` in any case) or
:class:`NewLocation`; ``ack~...`` is :class:`Ack`, ``err~...`` is :class:`Err`,
``authorize~user~digest`` is :class:`Authorize`, ``key=value`` is :class:`RequestLine`,
a known server command (``ping``, ``start~loc~seq`` ...) is :class:`Command`, and any
other three-field line is a :class:`Greeting` (client: field 3 ``CTP01``; server: the
number of request lines). ``format_line`` is the inverse: ``format_line(parse_line(x))
== x`` for every line of the real captures, byte for byte (CR LF included).

Times stay exactly as the client wrote them (:class:`ReadTime`): CTP01 times are the
timing system's *local wall clock*, and ``normal``/``msecs`` carry no date. Turning one
into a datetime needs the session's date and time zone; :func:`local_datetime` does that
(with midnight rollover) and :class:`WallClock` does it for a stream of reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from p88.errors import ProtocolError
from p88.protocol.times import ReadTime, parse_time

__all__ = [
    "COMMANDS",
    "DEFAULT_FORMAT",
    "Ack",
    "Authorize",
    "Command",
    "DataLine",
    "Err",
    "Greeting",
    "GunTime",
    "LineFramer",
    "LineTooLong",
    "Message",
    "NewLocation",
    "Read",
    "RequestLine",
    "format_line",
    "indicator_separator",
    "parse_line",
]

DEFAULT_FORMAT = "CT01_33"
#: Commands a CTP01 server sends (S1 §3). A line starting with one of these is a Command.
COMMANDS = frozenset(
    {"ping", "geteventinfo", "getlocations", "getconnectionid", "start", "stop", "getdata"}
)
_SEPARATORS = {"1": ",", "2": ";", "3": "~", "4": "|", "5": "\t"}
_INDICATOR = re.compile(r"CT\d\d_[0-9A-Fa-f]{2}", re.ASCII)
_INT = re.compile(r"\d{1,9}", re.ASCII)
_FORBIDDEN_IN_NAME = set(",;~|\t\x00")


def indicator_separator(indicator: str) -> str:
    """The field separator a ``CTnn_XY`` indicator names (X nibble, character index 5).

    Fixed-width formats (Y bit 8) and separator-less ones are refused: a CTP01 server never
    asks for them, and they cannot be told apart from garbage on a shared stream.
    """
    if not _INDICATOR.fullmatch(indicator):
        raise ProtocolError(f"not a CTnn_XY format indicator: {indicator!r}", field="format")
    if int(indicator[6], 16) & 8:
        raise ProtocolError(f"fixed-width format {indicator} is not supported", field="format")
    sep = _SEPARATORS.get(indicator[5])
    if sep is None:
        raise ProtocolError(f"format {indicator} has no usable separator", field="format")
    return sep


@dataclass(frozen=True)
class DataLine:
    """Fields shared by every CT01 data line (S2 order: seq, location, tag, time, lap,
    reader, gator). ``fmt`` is the indicator (``CT01_33``); ``raw`` the line as received,
    without its terminator. Lap and gator stay text-exact via ``format_line``."""

    seq: int
    location: str
    tag: str
    time: ReadTime
    lap: int
    reader: str
    gator: int
    raw: bytes = field(default=b"", compare=False, repr=False)
    fmt: str = DEFAULT_FORMAT


@dataclass(frozen=True)
class Read(DataLine):
    """One tag read: a chip crossed a mat (identity: location, tag, time, reader, gator)."""


@dataclass(frozen=True)
class GunTime(DataLine):
    """A gun-time line (tag ``guntime``/``GUNTIME``): a gun event, never a read or a bib.
    ``reader`` holds the controller id; ``tag`` keeps the case the client used."""


@dataclass(frozen=True)
class NewLocation(DataLine):
    """A location became available (tag ``newlocation``); the server must ``start`` it.
    SimpleClient sends the time as ``00:00:00.00`` whatever the time format."""


@dataclass(frozen=True)
class Greeting:
    """First line of each side: ``name~version~CTP01`` (client) or ``name~version~N`` (server,
    N request lines follow)."""

    name: str
    version: str
    protocol: str

    @property
    def request_count(self) -> int | None:
        """For a server greeting, the number of request lines that follow; else None."""
        return int(self.protocol) if self.protocol.isdigit() else None


@dataclass(frozen=True)
class RequestLine:
    """A server request line ``key=value`` (``stream-mode=push`` ...)."""

    key: str
    value: str


@dataclass(frozen=True)
class Authorize:
    """Client authentication: ``authorize~<user>~<authentication string>``."""

    user: str
    digest: str


@dataclass(frozen=True)
class Command:
    """A server command: ``ping``, ``start~finish~4530``, ``getdata~50`` ..."""

    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ack:
    """``ack~<command>[~fields...]``; fields vary in number (``ack~getlocations`` may have none)."""

    command: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Err:
    """``err~<command>~<message>`` (``err~~unknown command`` has an empty command)."""

    command: str
    message: str = ""
    extra: tuple[str, ...] = ()


Message = Read | GunTime | NewLocation | Greeting | RequestLine | Authorize | Command | Ack | Err


def _decode(line: bytes | str) -> tuple[str, bytes]:
    raw = line.encode("utf-8", "surrogateescape") if isinstance(line, str) else line
    if raw.endswith(b"\n"):
        raw = raw[:-1]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError("line is not valid UTF-8/ASCII text", raw=raw) from exc
    return text, raw


def _int_field(value: str, name: str, raw: bytes) -> int:
    if not _INT.fullmatch(value):
        raise ProtocolError(f"{name} is not an unsigned integer: {value!r}", raw=raw, field=name)
    return int(value)


def _name_field(value: str, name: str, raw: bytes) -> str:
    if not value:
        raise ProtocolError(f"{name} is empty", raw=raw, field=name)
    if _FORBIDDEN_IN_NAME & set(value) or not value.isprintable():
        raise ProtocolError(f"{name} has forbidden characters: {value!r}", raw=raw, field=name)
    return value


_SEP_CACHE: dict[str, str] = {}
_DIGITS = frozenset("0123456789")


def _fast_data(text: str, raw: bytes) -> Read | None:
    """The common case (a well-formed tag read) without per-field checks; None = look closer.

    The listener's throughput is bounded by Python time per line, so the usual line takes
    one split, a few set checks and the time fast path; anything unusual goes the slow,
    precise way (which also produces the error message).
    """
    indicator = text[:7]
    sep = _SEP_CACHE.get(indicator)
    if sep is None or text[7:8] != sep or not text.isprintable():
        return None
    fields = text.split(sep)
    if len(fields) != 8:
        return None
    _, seq_s, location, tag, time_s, lap_s, reader, gator_s = fields
    if not (
        location and tag and reader and 0 < len(seq_s) <= 9 and 0 < len(lap_s) <= 9
        and 0 < len(gator_s) <= 9 and _DIGITS.issuperset(seq_s + lap_s + gator_s)
        and _FORBIDDEN_IN_NAME.isdisjoint(location + tag + reader)
    ):  # fmt: skip
        return None
    if tag.lower() in ("guntime", "newlocation"):
        return None
    try:
        when = parse_time(time_s)
    except ProtocolError:
        return None
    return Read(int(seq_s), location, tag, when, int(lap_s), reader, int(gator_s), raw, indicator)


def _parse_data(text: str, raw: bytes) -> Read | GunTime | NewLocation:
    fast = _fast_data(text, raw)
    if fast is not None:
        return fast
    indicator = text[:7]
    try:
        sep = indicator_separator(indicator)
    except ProtocolError as exc:
        raise ProtocolError(exc.message, raw=raw, field="format") from None
    _SEP_CACHE[indicator] = sep
    if text[7:8] != sep:
        raise ProtocolError(f"{indicator} line must continue with {sep!r}", raw=raw, field="format")
    fields = text.split(sep)
    if len(fields) != 8:
        raise ProtocolError(f"data line has {len(fields)} fields, not 8", raw=raw)
    _, seq_s, location, tag, time_s, lap_s, reader, gator_s = fields
    seq = _int_field(seq_s, "seq", raw)
    location = _name_field(location, "location", raw)
    tag = _name_field(tag, "tag", raw)
    lap = _int_field(lap_s, "lap", raw)
    reader = _name_field(reader, "reader", raw)
    gator = _int_field(gator_s, "gator", raw)
    kind: type[Read] | type[GunTime] | type[NewLocation]
    lowered = tag.lower()
    if lowered == "newlocation":
        kind = NewLocation
        try:
            when = parse_time(time_s)
        except ProtocolError:  # the time of a newlocation carries no meaning; keep the text
            when = ReadTime("text", time_s)
    else:
        kind = GunTime if lowered == "guntime" else Read
        try:
            when = parse_time(time_s)
        except ProtocolError as exc:
            raise ProtocolError(exc.message, raw=raw, field="time") from None
    return kind(seq, location, tag, when, lap, reader, gator, raw=raw, fmt=indicator)


def parse_line(line: bytes | str) -> Message:
    """Parse one CTP01 line (terminator optional) into its message.

    Raises :class:`~p88.errors.ProtocolError` (``field`` names the culprit, ``raw`` keeps the
    bytes) for anything that is not a well-formed CTP01 line, including the empty line: the
    caller decides whether to ignore, reject or log it.

    >>> parse_line(b"CT01_33~1~MINI11992~1208~11:05:15.06~1~12057E~4\\r\\n").tag
    '1208'
    """
    text, raw = _decode(line)
    if not text:
        raise ProtocolError("empty line", raw=raw)
    if _INDICATOR.match(text[:7]) and len(text) > 7:
        return _parse_data(text, raw)
    fields = text.split("~")
    head = fields[0]
    if head == "ack" and len(fields) >= 2:
        return Ack(fields[1], tuple(fields[2:]))
    if head == "err" and len(fields) >= 2:
        return Err(fields[1], fields[2] if len(fields) > 2 else "", tuple(fields[3:]))
    if head == "authorize" and len(fields) == 3:
        return Authorize(fields[1], fields[2])
    if head in COMMANDS:
        return Command(head, tuple(fields[1:]))
    if len(fields) == 1 and "=" in head:
        key, _, value = head.partition("=")
        if key and key.replace("-", "").isalnum():
            return RequestLine(key, value)
    if len(fields) == 3 and head:
        return Greeting(fields[0], fields[1], fields[2])
    raise ProtocolError(f"unknown line type: {text[:40]!r}", raw=raw, field="type")


def _fields(msg: Message) -> list[str]:
    if isinstance(msg, DataLine):
        return [str(msg.seq), msg.location, msg.tag, msg.time.text]
    if isinstance(msg, Greeting):
        return [msg.name, msg.version, msg.protocol]
    if isinstance(msg, Authorize):
        return ["authorize", msg.user, msg.digest]
    if isinstance(msg, Command):
        return [msg.name, *msg.args]
    if isinstance(msg, Ack):
        return ["ack", msg.command, *msg.args]
    if isinstance(msg, Err):
        return ["err", msg.command, msg.message, *msg.extra]
    raise TypeError(f"not a CTP01 message: {msg!r}")


def format_line(msg: Message, *, terminator: Literal["\r\n", "\n", ""] = "\r\n") -> bytes:
    """Encode a message as one CTP01 line (CR LF terminated by default).

    Data lines use the separator their ``fmt`` indicator names, so a ``CT01_13`` read comes
    out comma-separated. ``format_line(parse_line(line)) == line`` for real-world lines.
    """
    if isinstance(msg, RequestLine):
        text = f"{msg.key}={msg.value}"
    elif isinstance(msg, DataLine):
        sep = indicator_separator(msg.fmt)
        rest = [str(msg.lap), msg.reader, str(msg.gator)]
        text = sep.join([msg.fmt, *_fields(msg), *rest])
    else:
        text = "~".join(_fields(msg))
    return (text + terminator).encode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class LineTooLong:
    """The framer dropped a line over its cap; ``prefix`` is its first ``max_line`` bytes."""

    prefix: bytes
    size: int


class LineFramer:
    """Split a byte stream into lines: any chunking, LF-terminated, a trailing CR stripped.

    Keeps a partial tail between ``feed`` calls indefinitely, but never more than
    ``max_line`` bytes: a longer line is dropped (reported once as :class:`LineTooLong`)
    and the framer resynchronises at the next LF. Empty lines are skipped.
    """

    def __init__(self, max_line: int = 4096) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._discarding = 0  # bytes dropped so far of an over-long line, 0 if not dropping

    @property
    def buffered(self) -> int:
        """Bytes held as a partial line."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes | LineTooLong]:
        """Add received bytes; return the complete lines (without terminator) they finish."""
        out: list[bytes | LineTooLong] = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            chunk = data[start:] if nl < 0 else data[start:nl]
            if self._discarding:
                self._discarding += len(chunk)
                if nl >= 0:
                    out.append(LineTooLong(bytes(self._buf), self._discarding))
                    self._buf.clear()
                    self._discarding = 0
            else:
                self._buf += chunk
                if len(self._buf) > self.max_line:
                    self._discarding = len(self._buf)
                    del self._buf[self.max_line :]
                    if nl >= 0:
                        out.append(LineTooLong(bytes(self._buf), self._discarding))
                        self._buf.clear()
                        self._discarding = 0
                elif nl >= 0:
                    line = bytes(self._buf)
                    self._buf.clear()
                    if line.endswith(b"\r"):
                        line = line[:-1]
                    if line:
                        out.append(line)
            if nl < 0:
                return out
            start = nl + 1

    def flush(self) -> bytes | LineTooLong | None:
        """The stream ended: the partial line left (CR stripped), or None. An over-long one
        is its first ``max_line`` bytes with its full size."""
        buf, dropped = bytes(self._buf), self._discarding
        self._buf.clear()
        self._discarding = 0
        if dropped:
            return LineTooLong(buf, dropped)
        buf = buf.rstrip(b"\r")
        return buf or None
