"""A race's full results sheet: every entry with its person, splits, paces and age grade.

This is the one read that awards, every export format and the results site start from,
so a time, a pace, a place at a split and an age grade are computed once and agree
everywhere. Two queries: the entries (with their participants) and the splits (each
with its place at the point, by ``rank()`` over chip elapsed time, so ties share a place).

Course order: the race's points (``ct_race_points``: splits by ``seq``, then the finish);
a point with splits but no configuration (an imported result) comes after the configured
ones, by distance and then by its earliest elapsed time. A DQ'd or held (``review``)
runner keeps their splits but takes no place at them, as in the standings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from p88.errors import UnknownRace
from p88.store.results.agegrade import AgeGrade, age_grade
from p88.units import Per, pace

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "UNPLACED",
    "CoursePoint",
    "RaceSheet",
    "SheetRow",
    "SplitResult",
    "load_sheet",
    "race_list",
    "race_partner",
]

#: Statuses that never take a place (at a split, in awards).
UNPLACED = ("DQ", "review")


@dataclass(frozen=True, kw_only=True)
class CoursePoint:
    """A timing point after the start, in course order; ``finish`` marks the last."""

    name: str
    distance_m: int | None
    finish: bool


def _pace(elapsed: timedelta | None, metres: int | None, per: Per) -> timedelta | None:
    return pace(elapsed, metres, per) if elapsed is not None and metres else None


@dataclass(frozen=True, kw_only=True, slots=True)
class SplitResult:
    """A runner at one point: chip elapsed time, place there, pace so far (computed when
    asked for: most formats never show a split's pace)."""

    point: str
    distance_m: int | None
    elapsed: timedelta
    place: int | None

    @property
    def pace_km(self) -> timedelta | None:
        return _pace(self.elapsed, self.distance_m, "km")

    @property
    def pace_mile(self) -> timedelta | None:
        return _pace(self.elapsed, self.distance_m, "mile")


@dataclass(frozen=True, kw_only=True, slots=True)
class SheetRow:
    """One entry of the race as every published form shows it."""

    result_id: int
    bib: str
    first_name: str
    last_name: str
    sex: str | None
    age: int | None
    age_group: str | None
    birth_date: date | None
    city: str | None
    state: str | None
    country: str | None
    status: str | None
    chip_time: timedelta | None
    gun_time: timedelta | None
    overall_place: int | None
    sex_place: int | None
    age_group_place: int | None
    fields: dict[str, Any]
    distance_m: int
    grade: AgeGrade | None
    splits: dict[str, SplitResult] = field(default_factory=dict)

    @property
    def pace_km(self) -> timedelta | None:
        """Chip-time pace per km over the race distance; None without a finish."""
        return _pace(self.chip_time if self.status == "finished" else None, self.distance_m, "km")

    @property
    def pace_mile(self) -> timedelta | None:
        """Chip-time pace per mile over the race distance; None without a finish."""
        timed = self.chip_time if self.status == "finished" else None
        return _pace(timed, self.distance_m, "mile")

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def time_by(self, basis: str) -> timedelta | None:
        """The time places and awards go by: chip time for 'chip'; for 'gun' the gun time,
        or the chip time where there is no gun time (as ``update_places`` ranks)."""
        if basis == "chip":
            return self.chip_time
        return self.gun_time or self.chip_time

    @property
    def division(self) -> str:
        """The age-group division as results list it: 'M35-39'."""
        return f"{self.sex or ''}{self.age_group or ''}"


@dataclass(frozen=True, kw_only=True)
class RaceSheet:
    """A race and all its entries, finishers first in place order."""

    race_id: int
    race_name: str
    event_name: str
    event_date: date
    distance_m: int
    place_by: str
    city: str | None
    state: str | None
    points: list[CoursePoint]
    rows: list[SheetRow]

    @property
    def title(self) -> str:
        return f"{self.event_name} {self.race_name}"

    @property
    def splits(self) -> list[CoursePoint]:
        """The points between start and finish, in course order (export split columns)."""
        return [p for p in self.points if not p.finish]


_RACE = """
SELECT ra.name, e.name, e.event_date, ra.distance_m, ra.place_by, e.city, e.state
FROM ct_races ra JOIN ct_events e ON e.id = ra.event_id WHERE ra.id = %s
"""
_ROWS = """
SELECT r.id, r.bib, p.first_name, p.last_name, coalesce(r.sex, p.sex), r.age, r.age_group,
       p.birth_date, p.city, p.state, p.country, r.status, r.chip_time, r.gun_time,
       r.overall_place, r.sex_place, r.age_group_place, nullif(r.entry_fields, '{}')
FROM ct_results r JOIN ct_participants p ON p.id = r.participant_id
WHERE r.race_id = %(race)s AND (%(bibs)s::text[] IS NULL OR r.bib = ANY(%(bibs)s::text[]))
ORDER BY r.overall_place NULLS LAST, (r.status = 'finished') DESC NULLS LAST,
         r.chip_time NULLS LAST, r.bib
"""
_POINTS = """
WITH seen AS (
    SELECT point, max(distance_m) AS distance_m, min(elapsed) AS first_at
    FROM ct_splits WHERE race_id = %(race)s GROUP BY point
)
SELECT coalesce(p.location_name, s.point), coalesce(p.distance_m, s.distance_m),
       coalesce(p.kind = 'finish', coalesce(s.distance_m >= %(distance)s, false))
FROM (SELECT * FROM ct_race_points WHERE race_id = %(race)s AND kind <> 'start') p
FULL JOIN seen s ON s.point = p.location_name
ORDER BY coalesce(p.kind = 'finish', s.distance_m >= %(distance)s, false), p.seq NULLS LAST,
         coalesce(p.distance_m, s.distance_m) NULLS LAST, s.first_at NULLS LAST
"""
_SPLITS = """
SELECT result_id, point, elapsed, place FROM (
    SELECT s.result_id, s.point, s.elapsed, r.bib,
           CASE WHEN r.status IS NULL OR r.status NOT IN ('DQ', 'review')
                THEN rank() OVER (PARTITION BY s.point,
                                  (r.status IS NULL OR r.status NOT IN ('DQ', 'review'))
                                  ORDER BY s.elapsed) END AS place
    FROM ct_splits s JOIN ct_results r ON r.id = s.result_id
    WHERE s.race_id = %(race)s
) ranked WHERE %(bibs)s::text[] IS NULL OR bib = ANY(%(bibs)s::text[])
"""


def load_sheet(
    conn: psycopg.Connection[Any],
    race_id: int,
    *,
    bibs: Sequence[str] | None = None,
    splits: bool = True,
) -> RaceSheet:
    """The race's sheet (only the entries of ``bibs`` when given; places at splits are
    still among the whole race; no splits read when ``splits`` is false, for awards);
    InputError when there is no such race."""
    params = {"race": race_id, "bibs": list(bibs) if bibs is not None else None}
    race = conn.execute(_RACE, (race_id,)).fetchone()
    if race is None:
        raise UnknownRace(race_id)
    name, event, day, distance, place_by, city, st = race
    points = [
        CoursePoint(name=n, distance_m=d, finish=bool(f))
        for n, d, f in conn.execute(_POINTS, {"race": race_id, "distance": distance}).fetchall()
    ]
    metres = {p.name: p.distance_m for p in points}
    at: dict[int, dict[str, SplitResult]] = {}
    for rid, point, elapsed, place in conn.execute(_SPLITS, params).fetchall() if splits else ():
        at.setdefault(rid, {})[point] = SplitResult(
            point=point, distance_m=metres.get(point), elapsed=elapsed, place=place
        )
    rows = []
    for row in conn.execute(_ROWS, params).fetchall():
        rid, bib, first, last, sex, age, group, born, rcity, rstate, country = row[:11]
        status, chip, gun, overall, sex_place, group_place, fields = row[11:]
        timed = chip if status == "finished" else None
        rows.append(
            SheetRow(
                result_id=rid, bib=bib, first_name=first, last_name=last, sex=sex, age=age,
                age_group=group, birth_date=born, city=rcity, state=rstate, country=country,
                status=status, chip_time=chip, gun_time=gun, overall_place=overall,
                sex_place=sex_place, age_group_place=group_place, fields=fields or {},
                distance_m=distance, grade=age_grade(sex, age, distance, timed),
                splits=at.get(rid, {}),
            )
        )  # fmt: skip
    return RaceSheet(
        race_id=race_id, race_name=name, event_name=event, event_date=day,
        distance_m=distance, place_by=place_by, city=city, state=st, points=points, rows=rows,
    )  # fmt: skip


def race_list(
    conn: psycopg.Connection[Any], partner_id: int | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Races with results, newest event first, for a results index: id, title, date and
    finishers; ``partner_id`` limits it to one tenant's races."""
    rows = conn.execute(
        "SELECT ra.id, e.name || ' ' || ra.name, e.event_date,"
        " count(r.id) FILTER (WHERE r.status = 'finished')"
        " FROM ct_races ra JOIN ct_events e ON e.id = ra.event_id"
        " JOIN ct_results r ON r.race_id = ra.id"
        " WHERE %(partner)s::int IS NULL OR ra.partner_id = %(partner)s"
        " GROUP BY ra.id, e.name, e.event_date ORDER BY e.event_date DESC, ra.id LIMIT %(limit)s",
        {"partner": partner_id, "limit": limit},
    ).fetchall()
    return [
        {"id": rid, "title": title, "date": day.isoformat(), "finishers": finishers}
        for rid, title, day, finishers in rows
    ]


def race_partner(conn: psycopg.Connection[Any], race_id: int) -> int | None:
    """The partner (tenant) of a race; None when there is no such race."""
    row = conn.execute("SELECT partner_id FROM ct_races WHERE id = %s", (race_id,)).fetchone()
    return None if row is None else int(row[0])
