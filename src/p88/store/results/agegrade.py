"""Age grading: the WMA 2023 road factors (athlib's tables, Apache-2.0), one function.

An age grade compares a time with the world best for the runner's age and sex on the same
distance: ``grade = age_standard / time`` where ``age_standard = world_best / factor``; the
age-graded time is ``time * factor``, what an open-age runner would have needed. Awards,
every export, the results site and ``p88 ask`` (``ct_results.age_graded_time``,
``age_grade``) all use :func:`age_grade`, so a percentage is the same everywhere.

A race distance the tables list (5K, 8K, 10K, 15K, 10 miles, half, marathon, ...) uses its
row; a distance between two road rows interpolates the factor linearly in distance and the
world best by speed, as WMA's own calculator does. No grade (None) for a sex other than M
or F (the tables have none), an age outside 5-110, or a distance outside the road rows:
p88 never guesses one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from p88.units import truncate

if TYPE_CHECKING:
    import psycopg

__all__ = ["AgeGrade", "age_grade", "road_rows", "update_age_grades"]

TABLES = "WMA 2023 road (athlib)"
_MATCH = 0.005  # a race within 0.5% of a listed distance uses that row


@dataclass(frozen=True)
class AgeGrade:
    """A result's age grade: ``factor`` (<= 1), ``graded`` time and ``percent``."""

    factor: float
    graded: timedelta
    percent: float


@cache
def _grader() -> Any:
    with warnings.catch_warnings():
        # athlib's package import touches jsonschema's deprecated RefResolver (not ours)
        warnings.simplefilter("ignore", DeprecationWarning)
        from athlib.wma.agegrader import AgeGrader

    return AgeGrader("2023")


@cache
def road_rows() -> tuple[tuple[str, float], ...]:
    """The road events of the tables, shortest first: (athlib code, metres)."""
    grader = _grader()
    rows = grader.get_data()["m"]
    found = [
        (row[0], float(row[1]) * 1000)
        for row in rows
        if not row[0].upper().endswith("W") and grader.event_code_to_kind(row[0]) == "road"
    ]
    return tuple(sorted(found, key=lambda r: r[1]))


@cache
def _factor_and_best(sex: str, age: int, code: str) -> tuple[float, float]:
    grader = _grader()
    factor = float(grader.calculate_factor(sex.lower(), age, code))
    best = float(grader.world_best(sex.lower(), code))
    return factor, best


@cache
def _standard(sex: str, age: int, metres: float) -> tuple[float, float] | None:
    """(factor, open world best in seconds) at ``metres``; None outside the road rows."""
    rows = road_rows()
    for code, dist in rows:
        if abs(dist - metres) <= dist * _MATCH:
            return _factor_and_best(sex, age, code)
    for (code_a, dist_a), (code_b, dist_b) in zip(rows, rows[1:], strict=False):
        if dist_a < metres < dist_b:
            fa, ba = _factor_and_best(sex, age, code_a)
            fb, bb = _factor_and_best(sex, age, code_b)
            share = (metres - dist_a) / (dist_b - dist_a)
            speed = dist_a / ba + share * (dist_b / bb - dist_a / ba)
            return fa + share * (fb - fa), metres / speed
    return None


def age_grade(
    sex: str | None, age: int | None, distance_m: float, time: timedelta | None
) -> AgeGrade | None:
    """The WMA road age grade of ``time`` run at ``age`` over ``distance_m``, or None.

    >>> g = age_grade("M", 50, 10000, timedelta(minutes=40))
    >>> round(g.factor, 4), str(g.graded), round(g.percent, 2)
    (0.8886, '0:35:32.640000', 74.27)
    """
    if sex not in ("M", "F") or age is None or not 5 <= age <= 110 or not time:
        return None
    standard = _standard(sex, age, float(distance_m))
    if standard is None:
        return None
    factor, best = standard
    seconds = time.total_seconds()
    percent = best / factor / seconds * 100
    return AgeGrade(factor=factor, graded=truncate(time * factor), percent=percent)


def update_age_grades(conn: psycopg.Connection[Any], race_id: int) -> int:
    """Store every result's age grade of the race (``ct_results.age_graded_time``,
    ``age_grade``); returns how many rows changed. Only changed rows are written. As on
    the results sheet, only a finish is graded: a DQ'd or held time gets none."""
    rows = conn.execute(
        "SELECT r.id, coalesce(r.sex, p.sex), r.age,"
        " CASE WHEN r.status = 'finished' THEN r.chip_time END, ra.distance_m"
        " FROM ct_results r JOIN ct_participants p ON p.id = r.participant_id"
        " JOIN ct_races ra ON ra.id = r.race_id WHERE r.race_id = %s",
        (race_id,),
    ).fetchall()
    values = []
    for rid, sex, age, chip, distance in rows:
        grade = age_grade(sex, age, distance, chip)
        values.append(
            (rid, grade.graded if grade else None, round(grade.percent, 2) if grade else None)
        )
    if not values:
        return 0
    with conn.transaction():
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS p88_age_grades"
            " (id BIGINT, graded INTERVAL, pct NUMERIC(5, 2)) ON COMMIT DELETE ROWS"
        )
        with conn.cursor() as cur, cur.copy("COPY p88_age_grades FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        changed = conn.execute(
            "UPDATE ct_results r SET age_graded_time = g.graded, age_grade = g.pct"
            " FROM p88_age_grades g WHERE r.id = g.id"
            " AND (r.age_graded_time, r.age_grade) IS DISTINCT FROM (g.graded, g.pct)"
        ).rowcount
    return changed
