"""The shape of a simulated race: its timing points, distance and wave gun times.

A point is written ``NAME`` or ``NAME@DISTANCE``. ``START`` sits at 0 m and ``FINISH``
at the race distance; any other name that reads as a distance (``5K``, ``10MI``,
``HALF``, ``21.1K``) sits there. Everything here is parsing and arithmetic, so the CLI
and the tests build the same ``Course`` from the same strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from p88.errors import InputError
from p88.units import parse_clock, parse_distance

_LOCATION_OK = re.compile(r"^[A-Za-z0-9_.\-]{1,16}$")


@dataclass(frozen=True)
class Point:
    """A timing point: its location name (the CTP01 location) and distance from the start."""

    name: str
    metres: float


@dataclass(frozen=True)
class Course:
    """Points in distance order, the race distance and the gun time of each wave."""

    points: tuple[Point, ...]
    distance_m: float
    waves: tuple[datetime, ...]

    @property
    def start(self) -> Point:
        return self.points[0]


def parse_points(spec: str, distance_m: float) -> tuple[Point, ...]:
    """Points from ``START,5K,FINISH`` (or ``NAME@DIST``), checked and sorted by distance."""
    points: list[Point] = []
    for raw in (p.strip() for p in spec.split(",")):
        if not raw:
            continue
        name, _, where = raw.partition("@")
        if not _LOCATION_OK.match(name):
            raise InputError(
                f"bad timing point name {name!r}",
                hint="1-16 letters, digits, '_', '-' or '.' (CTP01 location names)",
                what="timing point",
                where="--points",
            )
        if where:
            metres = parse_distance(where, where="--points")
        elif name.upper() == "START":
            metres = 0.0
        elif name.upper() == "FINISH":
            metres = distance_m
        else:
            metres = parse_distance(name, where="--points")
        if not 0.0 <= metres <= distance_m:
            raise InputError(
                f"timing point {name} at {metres:.0f} m is outside the race distance",
                what="timing point",
                where="--points",
            )
        points.append(Point(name, metres))
    if len(points) < 2:
        raise InputError(
            "a race needs at least two timing points",
            hint="e.g. START,FINISH",
            what="timing points",
            where="--points",
        )
    names = [p.name for p in points]
    if len(set(names)) != len(names):
        raise InputError(
            f"timing point names repeat: {spec}", what="timing points", where="--points"
        )
    points.sort(key=lambda p: p.metres)
    if points[0].metres != 0.0:
        raise InputError(
            "the first timing point must be at 0 m (START)", what="timing points", where="--points"
        )
    if points[-1].metres <= 0.0:
        raise InputError(
            "the last timing point must be past the start", what="timing points", where="--points"
        )
    return tuple(points)


def parse_waves(
    spec: str, race_day: date, first_gun: time, gap_s: float = 300.0
) -> tuple[datetime, ...]:
    """Wave gun times from a count (``3``: ``gap_s`` apart) or a list of times (``07:30,07:40``)."""
    spec = spec.strip()
    if spec.isdigit():
        count = int(spec)
        if not 1 <= count <= 50:
            raise InputError(f"--waves {count}: use 1 to 50 waves", what="waves", where="--waves")
        gun = datetime.combine(race_day, first_gun)
        return tuple(gun + timedelta(seconds=gap_s * i) for i in range(count))
    guns = sorted(
        datetime.combine(race_day, parse_clock(t, where="--waves"))
        for t in spec.split(",")
        if t.strip()
    )
    if not guns:
        raise InputError(
            "--waves needs a count or a list of gun times", what="waves", where="--waves"
        )
    return tuple(guns)


def build_course(
    points: str,
    distance: str,
    waves: str = "1",
    race_day: date = date(2026, 6, 7),
    first_gun: str = "07:30:00",
) -> Course:
    """Parse the CLI's strings into a ``Course``."""
    distance_m = parse_distance(distance, where="--distance")
    if distance_m < 100:
        raise InputError(
            f"race distance {distance} is too short", what="distance", where="--distance"
        )
    return Course(
        points=parse_points(points, distance_m),
        distance_m=distance_m,
        waves=parse_waves(waves, race_day, parse_clock(first_gun, where="--gun")),
    )
