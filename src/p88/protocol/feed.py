"""A feed: one timing point's lines as a client will send them, read from a capture file.

Both ``p88 replay`` (a real capture) and ``p88 simulate`` (a made-up race) hand the CTP01
client a list of feeds. A feed keeps each line parsed by the listener's codec, the local
wall-clock moment of each line, and ``observed``: how many of its lines the imaginary
controller has seen so far. The pacer moves ``observed`` forward with the clock; the
client state machine only ever sends lines below it. Feeds outlive connections, so a
reconnecting client resumes from the same feed.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from p88.errors import InputError, ProtocolError
from p88.protocol.codec import GunTime, Read, parse_line
from p88.protocol.times import ReadTime, WallClock

Line = Read | GunTime
TIME_FORMATS = ("normal", "iso", "unix", "msecs")
_EPOCH = datetime(1970, 1, 1)


def render_time(moment: datetime, kind: str, day0: date) -> str:
    """A local wall-clock moment written in a CTP01 time format (ctp01.md §4.2).

    ``normal`` and ``msecs`` count from midnight of ``day0``, so a race past midnight
    writes hours of 24 and more, as 24h+ mode does.

    >>> render_time(datetime(2008, 10, 16, 14, 2, 15, 310000), "iso", date(2008, 10, 16))
    '2008-10-16T14:02:15.31'
    """
    centis = round(moment.microsecond / 10_000)
    if centis == 100:
        moment, centis = moment.replace(microsecond=0) + timedelta(seconds=1), 0
    if kind == "iso":
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{centis:02d}"
    if kind == "unix":
        secs = int((moment.replace(microsecond=0) - _EPOCH).total_seconds())
        return f"{secs}.{centis:02d}"
    since = moment.replace(microsecond=0) - datetime.combine(day0, time())
    whole = int(since.total_seconds())
    if kind == "msecs":
        return str(whole * 1000 + centis * 10)
    if kind != "normal":
        raise ProtocolError(f"unknown time format {kind!r}", field="time-format")
    sign = "-" if whole < 0 else ""
    whole = abs(whole)
    return f"{sign}{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{centis:02d}"


@dataclass
class Feed:
    """One location's lines in sequence order, the moment of each, and the pacing state."""

    location: str
    lines: list[Line]
    moments: list[datetime]
    day0: date
    reader: str = "0"
    source: str = ""
    observed: int = 0
    sent_upto: int = 0
    resent: int = 0
    base_len: int = -1
    _seqs: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.base_len < 0:
            self.base_len = len(self.lines)
        self._seqs = [line.seq for line in self.lines]
        if any(b < a for a, b in zip(self._seqs, self._seqs[1:], strict=False)):
            raise InputError(
                f"{self.source or self.location}: sequence numbers go backwards",
                hint="a feed must be in sequence order, as a controller sends it",
                what="capture file",
                where=self.source or self.location,
            )

    def __len__(self) -> int:
        return len(self.lines)

    def index_of(self, seq: int) -> int:
        """Index of the first line whose sequence number is ``seq`` or later (inclusive)."""
        return bisect.bisect_left(self._seqs, seq)

    def extend(self, lines: Iterable[Line], moments: Iterable[datetime]) -> None:
        """Append lines (``--loop``); their sequence numbers must continue upwards."""
        added = list(lines)
        self.lines.extend(added)
        self.moments.extend(moments)
        self._seqs.extend(line.seq for line in added)

    def looped(self, passes: int, span: timedelta) -> tuple[list[Line], list[datetime]]:
        """The original lines again, renumbered and shifted past the originals (``--loop``).

        Pass ``k`` adds ``k`` times the highest original seq to every seq and ``k * span``
        to every moment, so each pass is new data to a server that stores every read once.
        """
        base = self.lines[: self.base_len]
        base_moments = self.moments[: self.base_len]
        seq_span = max(line.seq for line in base) if base else 0
        shift = span * passes
        out: list[Line] = []
        for line, moment in zip(base, base_moments, strict=True):
            new_moment = moment + shift
            text = render_time(new_moment, line.time.kind, self.day0)
            out.append(
                dataclasses.replace(
                    line,
                    seq=line.seq + seq_span * passes,
                    time=ReadTime(line.time.kind, text),
                    raw=b"",
                )
            )
        return out, [m + shift for m in base_moments]

    @property
    def complete(self) -> bool:
        return self.observed >= len(self.lines)


@dataclass(frozen=True)
class BadLine:
    """A capture line that does not parse: where it is and why (``p88 replay`` reports it
    once and goes on, as ``p88 import`` keeps it in rejected_lines)."""

    source: str
    line_no: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source} line {self.line_no}: {self.reason}"


def load_feeds(
    path: Path,
    day0: date | None,
    *,
    start: time | None = None,
    until: time | None = None,
    anchor: datetime | None = None,
    bad_lines: list[BadLine] | None = None,
) -> list[Feed]:
    """Read a capture file into one feed per location, parsed by the shared codec.

    ``normal``-format times are placed on ``day0`` (rolling over midnight from ``anchor``,
    then from each previous line); ``iso`` lines carry their own date, and a dateless line
    without ``day0`` raises InputError naming ``--date``. Lines before ``start`` or after
    ``until`` (time of day of the line's moment) are left out. A line that does not parse
    is appended to ``bad_lines`` and skipped; without that list it stops the load with its
    line number (``--strict``: a rehearsal that must send all the file holds).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", where=str(path)) from None
    clock = WallClock(day0, anchor=anchor)
    by_location: dict[str, tuple[list[Line], list[datetime], str]] = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            msg = parse_line(raw)
        except ProtocolError as exc:
            if bad_lines is None:
                raise ProtocolError(
                    f"{path.name} line {number}: {exc.message}",
                    raw=raw,
                    field=exc.field,
                    line_no=number,
                ) from None
            bad_lines.append(BadLine(path.name, number, exc.message))
            continue
        if not isinstance(msg, Read | GunTime):
            continue  # newlocation lines are the client's own business, not data to replay
        moment = clock.resolve(msg.time)
        if (start and moment.time() < start) or (until and moment.time() > until):
            continue
        lines, moments, _ = by_location.setdefault(msg.location, ([], [], msg.reader))
        lines.append(msg)
        moments.append(moment)
    feeds = [
        Feed(loc, lines, moments, day0 or moments[0].date(), reader=reader, source=path.name)
        for loc, (lines, moments, reader) in by_location.items()
    ]
    return feeds
