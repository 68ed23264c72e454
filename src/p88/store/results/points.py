"""How a race uses the timing points of a session (``ct_race_points``).

A point is a timing location (``timing_reads.location_name``) with a role: the start
mat, an intermediate split, or the finish. Per point: the dead-time window that makes
many reads one crossing, which read of a crossing is its time (the trade's convention:
the last read on the start mat, as the runner leaves it; the first read elsewhere, as the
runner arrives), and the minimum time after the runner's start before a crossing counts
(a lap course passes the finish mat at the start).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from p88.errors import InputError

if TYPE_CHECKING:
    import psycopg

Kind = Literal["start", "split", "finish"]
Choice = Literal["first", "last"]
DEFAULT_DEAD_TIME = timedelta(seconds=10)


@dataclass(frozen=True)
class PointRule:
    """One timing point of a race and how its reads become a crossing."""

    location: str
    kind: Kind
    seq: int = 0
    distance_m: int | None = None
    read_choice: Choice | None = None
    dead_time: timedelta = DEFAULT_DEAD_TIME
    min_elapsed: timedelta = timedelta(0)

    @property
    def choice(self) -> Choice:
        """The read that times a crossing: as configured, else last on start, first elsewhere."""
        if self.read_choice:
            return self.read_choice
        return "last" if self.kind == "start" else "first"

    def __post_init__(self) -> None:
        if self.kind not in ("start", "split", "finish"):
            raise InputError(
                f"point {self.location}: kind must be start, split or finish", what="timing point"
            )
        if self.dead_time < timedelta(0) or self.min_elapsed < timedelta(0):
            raise InputError(
                f"point {self.location}: dead time and minimum must not be negative",
                what="timing point",
            )


def validate(rules: Sequence[PointRule]) -> list[PointRule]:
    """Rules in course order (start, splits by seq, finish); one finish, at most one start."""
    kinds = [r.kind for r in rules]
    if kinds.count("finish") != 1:
        raise InputError(
            f"a race needs exactly one finish point, got {kinds.count('finish')}",
            hint="name it with --finish LOCATION",
            what="timing points",
            where="--start/--split/--finish",
        )
    if kinds.count("start") > 1:
        raise InputError(
            "a race has at most one start point", what="timing points", where="--start"
        )
    locations = [r.location for r in rules]
    if len(set(locations)) != len(locations):
        raise InputError(
            "a timing location can play only one role in a race",
            what="timing points",
            where="--start/--split/--finish",
        )
    order = {"start": 0, "split": 1, "finish": 2}
    return sorted(rules, key=lambda r: (order[r.kind], r.seq, r.location))


def load(conn: psycopg.Connection[Any], race_id: int) -> list[PointRule]:
    """The race's saved points, in course order (empty when none are saved)."""
    rows = conn.execute(
        "SELECT location_name, kind, seq, distance_m, read_choice, dead_time, min_elapsed "
        "FROM ct_race_points WHERE race_id = %s",
        (race_id,),
    ).fetchall()
    rules = [PointRule(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]
    return validate(rules) if rules else []


def save(conn: psycopg.Connection[Any], race_id: int, rules: Sequence[PointRule]) -> bool:
    """Replace the race's points; True when they differ from what was saved."""
    rules = validate(rules)
    if load(conn, race_id) == rules:
        return False
    conn.execute("DELETE FROM ct_race_points WHERE race_id = %s", (race_id,))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ct_race_points (race_id, event_id, partner_id, location_name, kind, seq, "
            "distance_m, read_choice, dead_time, min_elapsed) "
            "SELECT id, event_id, partner_id, %s, %s, %s, %s, %s, %s, %s FROM ct_races "
            "WHERE id = %s",
            [
                (
                    r.location,
                    r.kind,
                    r.seq,
                    r.distance_m,
                    r.read_choice,
                    r.dead_time,
                    r.min_elapsed,
                    race_id,
                )
                for r in rules
            ],
        )
    return True


def infer(conn: psycopg.Connection[Any], session_id: int, race_distance: int) -> list[PointRule]:
    """Points from the session's locations when none are configured.

    One location: the finish. Otherwise a location named like 'start' is the start, one
    named like 'finish' the finish, and the rest are splits in the order runners reach them.
    """
    rows = conn.execute(
        "SELECT location_name, min(read_timestamp) FROM timing_reads WHERE session_id = %s "
        "GROUP BY location_name ORDER BY 2, 1",
        (session_id,),
    ).fetchall()
    names = [r[0] for r in rows]
    if not names:
        raise InputError(
            f"session {session_id} has no reads",
            hint="nothing to score yet",
            what="timing session",
            where="--session",
        )
    if len(names) == 1:
        return [PointRule(names[0], "finish", distance_m=race_distance)]
    starts = [n for n in names if "start" in n.lower()]
    finishes = [n for n in names if "finish" in n.lower()]
    if len(finishes) != 1 or len(starts) > 1:
        raise InputError(
            f"cannot tell the start and finish among locations {', '.join(names)}",
            hint="name them with --start LOCATION --finish LOCATION",
            what="timing points",
            where="--start/--finish",
        )
    rules = [PointRule(finishes[0], "finish", distance_m=race_distance)]
    if starts:
        rules.append(PointRule(starts[0], "start", distance_m=0))
    splits = [n for n in names if n not in starts and n not in finishes]
    rules += [PointRule(n, "split", seq=i + 1) for i, n in enumerate(splits)]
    return validate(rules)


def with_defaults(
    rules: Sequence[PointRule],
    *,
    dead_time: timedelta | None = None,
    min_elapsed: timedelta | None = None,
) -> list[PointRule]:
    """Apply command-line overrides: a dead time for every point, a minimum for the finish."""
    out = []
    for r in rules:
        if dead_time is not None:
            r = replace(r, dead_time=dead_time)
        if min_elapsed is not None and r.kind == "finish":
            r = replace(r, min_elapsed=min_elapsed)
        out.append(r)
    return out
