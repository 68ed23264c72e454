"""Distances, durations, times of day and paces: one definition each, for every command.

Every command, page and screen reads and writes these through this module, so a 10M race
is ten miles everywhere and a runner's time has one text in the terminal, on the display
page and in an export (DESIGN.md, "one rule, one function").

**Distances** (metres, ``float``). :func:`parse_distance` accepts a number with a unit:
``K``/``km``/``kilometre(s)``; ``m``/``metre(s)``/``meter(s)`` (lower-case ``m`` is the
metre: ``5000m``); ``M``/``mi``/``mile(s)`` (upper-case ``M`` is the mile, as race names
write it: ``10M`` is ten miles); and the names ``half``/``half marathon``/``HM``
(21,097.5 m) and ``marathon`` (42,195 m). A bare number is refused: ``10`` could be any of
them. ``ct_races.distance_m`` holds whole metres: :func:`whole_metres` (a half is 21,098).

**Durations** (``timedelta``). :func:`parse_duration` accepts ``H:MM:SS[.ff]``,
``MM:SS[.ff]``, units (``90s``, ``1h30m``, ``2w``, ``30d``; ``m`` is the minute here) and
ISO 8601 (``PT1H2M3.45S``). A bare number is refused.

**Times of day** (``time``): :func:`parse_clock` reads ``HH:MM[:SS[.hh]]``.

**Text** is truncated to the hundredth, never rounded, as a timing system does:
1:02:03.459 shows ``1:02:03.45``. :func:`clock_text` is a time of day (``08:01:02.35``),
:func:`elapsed_text` a race time (``1:02:03.45``; fewer digits or no hours on request),
:func:`pace_text` a pace (``7:15/mi``, ``4:30/km``), :func:`age_text` how long ago.

**JSON** carries a duration as one object, everywhere (``--json``, ``p88 ask``)::

    {"seconds": 3723.45, "iso": "PT1H2M3.45S"}

``seconds`` is a number and ``iso`` ISO 8601 duration text (hours, never days; a negative
duration is ``-PT...``); both are truncated to the hundredth so they always agree.
:func:`json_value` turns any value into that JSON form (durations as above, dates ISO).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from p88.errors import InputError

MILE_M = 1609.344
KM_M = 1000.0
MARATHON_M = 42195.0
HALF_MARATHON_M = 21097.5
TEN_K_M = 10_000.0
FIVE_K_M = 5_000.0
#: The standard road distances, longest first (``whole_metres`` gives their stored value).
STANDARD_DISTANCES: tuple[float, ...] = (MARATHON_M, HALF_MARATHON_M, TEN_K_M, FIVE_K_M)

DISTANCE_FORMS = "5K, 10 km, 5000m, 10M or 10 mi (miles), 13.1 miles, half, marathon"
DURATION_FORMS = "1:23:45, 23:45.6, 90s, 1h30m, 30d, 2w or PT1H30M"

_NAMED = {
    "marathon": MARATHON_M,
    "mara": MARATHON_M,
    "half": HALF_MARATHON_M,
    "halfmarathon": HALF_MARATHON_M,
    "hm": HALF_MARATHON_M,
}
_DISTANCE = re.compile(r"(\d+(?:\.\d+)?|\.\d+)([a-zA-Z]+)")
_DISTANCE_UNITS = {
    "k": KM_M, "km": KM_M, "kms": KM_M, "kilometre": KM_M, "kilometres": KM_M,
    "kilometer": KM_M, "kilometers": KM_M,
    "m": 1.0, "metre": 1.0, "metres": 1.0, "meter": 1.0, "meters": 1.0,
    "mi": MILE_M, "mile": MILE_M, "miles": MILE_M,
}  # fmt: skip
_BARE = re.compile(r"[+-]?(\d+(?:\.\d*)?|\.\d+)")

_CLOCK = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)\s*")
_DURATION_UNITS = {
    "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
    "d": "days", "day": "days", "days": "days",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes",
    "minutes": "minutes",
    "s": "seconds", "sec": "seconds", "secs": "seconds", "second": "seconds",
    "seconds": "seconds",
}  # fmt: skip
_ISO = re.compile(
    r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)
_HUNDREDTH = timedelta(microseconds=10_000)

Per = Literal["mile", "km"]


def parse_distance(text: str, *, where: str | None = None) -> float:
    """Metres in a distance a timing crew writes; a bare number or unknown unit is refused.

    >>> [parse_distance(t) for t in ("10M", "10 km", "half", "5000m")]
    [16093.44, 10000.0, 21097.5, 5000.0]
    """
    raw = text.strip()
    name = re.sub(r"[\s_-]", "", raw).lower()
    if name in _NAMED:
        return _NAMED[name]
    key = re.sub(r"\s", "", raw)
    if _BARE.fullmatch(key):
        raise InputError(
            f"distance {raw!r} has no unit: use {DISTANCE_FORMS}", what="distance", where=where
        )
    match = _DISTANCE.fullmatch(key)
    unit = match.group(2) if match else ""
    # "M" alone is the mile (a 10M race); "m" the metre. Any longer unit ignores case.
    factor = MILE_M if unit == "M" else _DISTANCE_UNITS.get(unit.lower())
    if match is None or factor is None:
        raise InputError(
            f"not a distance: {raw!r} (use {DISTANCE_FORMS})", what="distance", where=where
        )
    metres = float(match.group(1)) * factor
    if metres <= 0:
        raise InputError(f"distance {raw!r} must be more than zero", what="distance", where=where)
    return metres


def whole_metres(metres: float) -> int:
    """Metres rounded half up to a whole number, as ``ct_races.distance_m`` stores them.

    >>> whole_metres(HALF_MARATHON_M), whole_metres(13.1 * MILE_M)
    (21098, 21082)
    """
    return math.floor(metres + 0.5)


def parse_duration(text: str, *, where: str | None = None) -> timedelta:
    """A duration from clock text, units or ISO 8601; a bare number is refused.

    >>> [parse_duration(t).total_seconds() for t in ("1:02:03.45", "1h30m", "PT90S")]
    [3723.45, 5400.0, 90.0]
    """
    raw = text.strip()
    if _BARE.fullmatch(raw):
        raise InputError(
            f"duration {raw!r} has no unit: use {DURATION_FORMS}", what="duration", where=where
        )
    for value in (_clock_duration(raw), _unit_duration(raw.lower()), _iso_duration(raw.upper())):
        if value is not None:
            return value
    raise InputError(
        f"not a duration: {raw!r} (use {DURATION_FORMS})", what="duration", where=where
    )


def _clock_duration(raw: str) -> timedelta | None:
    m = _CLOCK.fullmatch(raw)
    if m is None:
        return None
    hours, minutes, seconds = int(m[1] or 0), int(m[2]), float(m[3])
    if (m[1] is not None and minutes >= 60) or seconds >= 60:
        return None
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _unit_duration(raw: str) -> timedelta | None:
    parts: dict[str, float] = {}
    pos = 0
    for m in _PART.finditer(raw):
        name = _DURATION_UNITS.get(m[2])
        if m.start() != pos or name is None or name in parts:
            return None
        parts[name] = float(m[1])
        pos = m.end()
    return timedelta(**parts) if parts and pos == len(raw) else None


def _iso_duration(raw: str) -> timedelta | None:
    m = _ISO.fullmatch(raw)
    if m is None or raw in ("P", "PT") or raw.endswith("T"):
        return None
    weeks, days, hours, minutes, seconds = (float(g or 0) for g in m.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_clock(text: str, *, where: str | None = None) -> time:
    """A time of day: ``HH:MM``, ``HH:MM:SS`` or ``HH:MM:SS.hh`` (a gun time, a wave)."""
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"not a time of day: {text!r}",
            what="time of day",
            where=where,
            hint="use HH:MM or HH:MM:SS",
        ) from None


def hundredths(value: timedelta | float) -> int:
    """Whole hundredths of a second in ``value`` (seconds if a number), truncated toward zero."""
    td = value if isinstance(value, timedelta) else timedelta(seconds=value)
    micros = (td.days * 86_400 + td.seconds) * 1_000_000 + td.microseconds
    whole = abs(micros) // 10_000
    return -whole if micros < 0 else whole


def truncate(value: timedelta | float) -> timedelta:
    """``value`` truncated to the hundredth, the resolution of a ChronoTrack read."""
    return hundredths(value) * _HUNDREDTH


def clock_text(at: datetime | time) -> str:
    """A time of day to the hundredth, truncated: ``08:01:02.35``."""
    return f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}.{at.microsecond // 10_000:02d}"


def elapsed_text(
    value: timedelta | float, *, digits: int = 2, compact: bool = False, trim: bool = False
) -> str:
    """A race time, truncated: ``1:02:03.45`` (a number is seconds).

    ``digits`` (0-2) is how many decimals show; ``compact`` drops the hours under an hour
    (``25:13.4``); ``trim`` drops a fraction that is all zeros (``1:02:03``).

    >>> elapsed_text(3723.459), elapsed_text(1513.46, digits=1, compact=True)
    ('1:02:03.45', '25:13.4')
    """
    count = hundredths(value)
    sign = "-" if count < 0 else ""
    whole, frac = divmod(abs(count), 100)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    text = (
        f"{minutes}:{seconds:02d}"
        if compact and not hours
        else f"{hours}:{minutes:02d}:{seconds:02d}"
    )
    if digits > 0 and not (trim and frac == 0):
        text += "." + f"{frac:02d}"[:digits]
    return sign + text


def age_text(value: timedelta | float) -> str:
    """How long, in the two largest units: ``4s``, ``3m 05s``, ``2h 10m``, ``3d 04h``."""
    seconds = max(0, hundredths(value) // 100)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86_400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86_400}d {seconds % 86_400 // 3600:02d}h"


def pace(elapsed: timedelta, distance_m: float, per: Per = "mile") -> timedelta:
    """Time per mile (or km) over ``distance_m``, truncated to the hundredth."""
    return truncate(elapsed * ((MILE_M if per == "mile" else KM_M) / distance_m))


def pace_text(value: timedelta | float, per: Per = "mile") -> str:
    """A pace already per mile (or km), to the second: ``7:15/mi``, ``4:30/km``."""
    return elapsed_text(value, digits=0, compact=True) + ("/mi" if per == "mile" else "/km")


def iso_duration(value: timedelta | float) -> str:
    """ISO 8601 duration text, truncated to the hundredth: ``PT1H2M3.45S``, ``PT0S``."""
    count = hundredths(value)
    whole, frac = divmod(abs(count), 100)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "-PT" if count < 0 else "PT"
    text += f"{hours}H" if hours else ""
    text += f"{minutes}M" if minutes else ""
    if seconds or frac or not (hours or minutes):
        text += f"{seconds}" + (f".{frac:02d}".rstrip("0") if frac else "") + "S"
    return text


def duration_json(value: timedelta | float) -> dict[str, float | str]:
    """A duration as JSON: ``{"seconds": 3723.45, "iso": "PT1H2M3.45S"}``."""
    return {"seconds": hundredths(value) / 100, "iso": iso_duration(value)}


def json_value(value: Any) -> Any:
    """A value as JSON carries it: durations as :func:`duration_json`, dates ISO 8601,
    decimals as numbers; anything else JSON cannot hold as its text."""
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    if isinstance(value, timedelta):
        return duration_json(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)
