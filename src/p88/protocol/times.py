"""CTP01 time fields: parsed exactly as written, resolved to a date only on purpose.

A CTP01 time is the timing system's **local wall clock** (ctp01.md §4.2): ``normal``
(``14:02:15.31``, hours may pass 24 and even be negative) and ``msecs`` carry no date at
all; ``iso`` has a date but no zone; ``unix`` is the wall clock read as if it were UTC (S1's
example). So :func:`parse_time` keeps the text and what it literally says, and the date and
zone enter only in :func:`local_datetime` / :func:`to_timestamp` / :class:`WallClock`,
which also handle the midnight rollover of a race that runs past 00:00.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from p88.errors import ConfigError, InputError, ProtocolError

__all__ = [
    "CaptureDate",
    "ReadTime",
    "TimeKind",
    "WallClock",
    "choose_date",
    "date_in_name",
    "local_datetime",
    "parse_date_option",
    "parse_time",
    "to_timestamp",
]

TimeKind = Literal["normal", "iso", "unix", "msecs", "text"]
_NORMAL = re.compile(r"(-?)(\d{1,3}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?", re.ASCII)
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?", re.ASCII)
_UNIX = re.compile(r"(\d{1,12})\.(\d{1,6})", re.ASCII)
_MSECS = re.compile(r"\d{1,9}", re.ASCII)
_EPOCH = datetime(1970, 1, 1)
_DAY = timedelta(days=1)
#: A dateless time of day belongs to the day that puts it within this of the stream's
#: previous read: more than 12 h earlier than that read is the next day (a race past
#: midnight), more than 12 h later the day before (a late-reported 23:59:58 after 00:00:03).
ROLLOVER_WINDOW = timedelta(hours=12)
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)", re.ASCII)


#: "HH:MM:SS" -> seconds, for the ``normal`` fast path: a race has many reads per second
#: (the real capture: 4 per distinct second), and this is the listener's hot path.
_SECONDS: dict[str, int] = {}
_SECONDS_MAX = 100_000


def _hms_seconds(hms: str) -> int | None:
    """Seconds of an ``HH:MM:SS`` text (hours 00-99), or None if it is anything else."""
    seconds = _SECONDS.get(hms)
    if seconds is not None:
        return seconds
    digits = hms[:2] + hms[3:5] + hms[6:8]
    if hms[2] != ":" or hms[5] != ":" or not (digits.isdigit() and digits.isascii()):
        return None
    minutes, secs = int(hms[3:5]), int(hms[6:8])
    if minutes > 59 or secs > 59:
        return None
    if len(_SECONDS) >= _SECONDS_MAX:
        _SECONDS.clear()
    seconds = _SECONDS[hms] = int(hms[:2]) * 3600 + minutes * 60 + secs
    return seconds


def _micros(frac: str | None) -> int:
    return int((frac or "0").ljust(6, "0")[:6])


@dataclass(frozen=True)
class ReadTime:
    """A time field as the client wrote it.

    ``text`` is verbatim (what ``format_line`` writes back). ``offset`` is the time since
    day-0 midnight for ``normal``/``msecs``; ``wall`` the naive local datetime for
    ``iso``/``unix``. ``kind == "text"`` only appears on newlocation lines whose time is
    meaningless.
    """

    kind: TimeKind
    text: str
    offset: timedelta | None = None
    wall: datetime | None = None


def parse_time(text: str) -> ReadTime:
    """Recognise any of the four CTP01 time formats by shape; ProtocolError if none fits.

    >>> parse_time("102:12:32.37").offset
    datetime.timedelta(days=4, seconds=22352, microseconds=370000)
    """
    n = len(text)
    if n == 11 and text[8] == ".":  # fast path: HH:MM:SS.hh
        seconds, cs = _hms_seconds(text[:8]), text[9:]
        if seconds is not None and cs.isdigit() and cs.isascii():
            return ReadTime("normal", text, timedelta(0, seconds, int(cs) * 10000))
    elif n == 22 and text[10] == "T" and text[19] == "." and text.isascii():
        try:  # fast path: YYYY-MM-DDTHH:MM:SS.hh
            wall = datetime.fromisoformat(text + "0000")
        except ValueError:
            pass
        else:
            return ReadTime("iso", text, wall=wall)
    m = _NORMAL.fullmatch(text)
    if m:
        sign, hh, mm, ss, frac = m.groups()
        if int(mm) > 59 or int(ss) > 59:
            raise ProtocolError(f"time out of range: {text!r}", field="time")
        off = timedelta(hours=int(hh), minutes=int(mm), seconds=int(ss), microseconds=_micros(frac))
        return ReadTime("normal", text, offset=-off if sign else off)
    m = _ISO.fullmatch(text)
    if m:
        y, mo, d, hh, mm, ss, frac = m.groups()
        try:
            wall = datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss), _micros(frac))
        except ValueError as exc:
            raise ProtocolError(f"bad ISO time {text!r}: {exc}", field="time") from None
        return ReadTime("iso", text, wall=wall)
    m = _UNIX.fullmatch(text)
    if m:
        secs, frac = m.groups()
        wall = _EPOCH + timedelta(seconds=int(secs), microseconds=_micros(frac))
        return ReadTime("unix", text, wall=wall)
    if _MSECS.fullmatch(text):
        return ReadTime("msecs", text, offset=timedelta(milliseconds=int(text)))
    raise ProtocolError(f"unrecognised time: {text!r}", field="time")


def local_datetime(t: ReadTime, session_date: date, *, near: datetime | None = None) -> datetime:
    """The naive local wall-clock datetime of a read time.

    ``iso`` and ``unix`` carry their date. ``normal``/``msecs`` are placed on
    ``session_date`` (hours >= 24 run into the following days). If ``near`` (a naive local
    datetime: the stream's previous read) is given, a time of day within 0-24 h goes on
    the day that puts it within ``ROLLOVER_WINDOW`` (12 h) of ``near``: 00:00:03 right
    after 23:59:58 belongs to the next day, 23:59:58 reported after 00:00:03 to the day
    before. Nothing here reads the machine's clock or zone.

    >>> late = datetime(2024, 12, 31, 23, 59)
    >>> local_datetime(parse_time("00:00:03"), date(2024, 12, 31), near=late)
    datetime.datetime(2025, 1, 1, 0, 0, 3)
    """
    if t.wall is not None:
        return t.wall
    if t.offset is None:
        raise ProtocolError(f"time {t.text!r} has no value", field="time")
    base = datetime.combine(session_date, datetime.min.time()) + t.offset
    if near is None or not timedelta(0) <= t.offset < _DAY:
        return base
    gap = base - near
    if -ROLLOVER_WINDOW <= gap <= ROLLOVER_WINDOW:
        return base
    return base - _DAY * ((gap + ROLLOVER_WINDOW) // _DAY)


def zone(name: str | None) -> ZoneInfo | timezone:
    """The zone for a session's ``timezone`` column (None/'' = this machine's local zone)."""
    if not name:
        local = datetime.now().astimezone().tzinfo
        return local if isinstance(local, timezone) else UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {name!r}", hint="use an IANA name") from None


def to_timestamp(
    t: ReadTime, session_date: date, tz: str | None, *, near: datetime | None = None
) -> datetime:
    """An aware datetime for a read time: :func:`local_datetime` placed in zone ``tz``."""
    return local_datetime(t, session_date, near=near).replace(tzinfo=zone(tz))


class WallClock:
    """Resolves a stream of read times to naive local datetimes, rolling over midnight.

    The reference for rollover is the stream's previous read (``anchor`` before the first:
    e.g. the race's scheduled start, or the session's latest stored read), never the
    machine's clock: the same lines get the same datetimes in any time zone, on any day
    they are received. ``session_date`` None means the lines must carry their own date
    (ISO); a dateless time then raises :class:`~p88.errors.InputError` naming ``--date``.
    """

    def __init__(
        self, session_date: date | None, tz: str | None = None, *, anchor: datetime | None = None
    ) -> None:
        self.session_date = session_date
        self.tz = zone(tz)
        self._last: datetime | None = anchor

    @property
    def last(self) -> datetime | None:
        """The latest resolved read (the reference for the next one)."""
        return self._last

    def resolve(self, t: ReadTime, received: datetime | None = None) -> datetime:
        """The read's local datetime. ``received`` is accepted and ignored: a read's date
        must not depend on when (or in which zone) it arrived."""
        if t.wall is not None:  # iso/unix carry their date: nothing to decide
            self._last = t.wall
            return t.wall
        if self.session_date is None:
            raise InputError(
                f"time {t.text!r} has no date: give --date YYYY-MM-DD "
                "(or --race, or a file name with the date in it)",
                what="date",
                where="--date",
            )
        value = local_datetime(t, self.session_date, near=self._last)
        self._last = value
        return value


def date_in_name(name: str) -> date | None:
    """The calendar date written in a file name, if exactly one is there.

    >>> date_in_name("mini11992-2024-12-14.iso.ct33")
    datetime.date(2024, 12, 14)
    >>> date_in_name("FINISH.ct33") is None
    True
    """
    found: set[date] = set()
    for m in _NAME_DATE.finditer(name):
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            continue
        if 1990 <= day.year <= 2100:
            found.add(day)
    return found.pop() if len(found) == 1 else None


def parse_date_option(text: str, where: str = "--date") -> date:
    """A ``YYYY-MM-DD`` option value, or one InputError naming the option."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{where} {text!r}: use YYYY-MM-DD", what="date", where=where) from None


@dataclass(frozen=True)
class CaptureDate:
    """The date that dateless times of one capture go on, where it came from, and the
    reference for the first read's midnight rollover (the race's scheduled start)."""

    day: date
    source: str
    anchor: datetime | None = None


def choose_date(
    *,
    given: date | None = None,
    name: str | None = None,
    race: tuple[date, datetime | None] | None = None,
    session: date | None = None,
) -> CaptureDate | None:
    """The date of a capture's dateless times, in the one order p88 uses everywhere:
    ``--date`` (``given``), the date in the file ``name``, the ``race``'s date (and its
    scheduled start as the rollover anchor), a live session's stored date. None when
    nothing applies: the caller refuses (ISO times need no date).

    >>> choose_date(name="mini11992-2024-12-14.ct33").source
    'file name'
    """
    if given is not None:
        return CaptureDate(given, "--date")
    in_name = date_in_name(name) if name else None
    if in_name is not None:
        return CaptureDate(in_name, "file name")
    if race is not None:
        day, start = race
        return CaptureDate(day, "race date", start if start and start.date() == day else None)
    if session is not None:
        return CaptureDate(session, "session date")
    return None
