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

from p88.errors import InputError, P88Error

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
        twice = sorted({loc for loc in locations if locations.count(loc) > 1})
        raise InputError(
            f"{', '.join(twice)} named for two roles: a timing location plays one role in a "
            "race (the start can never also be the finish)",
            what="timing point",
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
    rules = [
        PointRule(r[0], r[1], r[2], r[3], r[4], r[5], r[6])
        for r in rows  # location, kind, seq, distance, choice, dead time, minimum
    ]
    return validate(rules) if rules else []


def save(conn: psycopg.Connection[Any], race_id: int, rules: Sequence[PointRule]) -> bool:
    """Replace the race's points; True when they differ from what was saved."""
    rules = validate(rules)
    if load(conn, race_id) == rules:
        return False
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("DELETE FROM ct_race_points WHERE race_id = %s", (race_id,))
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


class PointsNotReady(InputError):
    """The race has no points set and the session's reads do not show them unambiguously
    yet (a live run keeps waiting; a single run exits 1 with this message)."""


def known_locations(conn: psycopg.Connection[Any], session_id: int) -> list[str]:
    """The session's real locations: those with reads, and those its clients announced
    (``getlocations``/``newlocation``) even before their first read."""
    rows = conn.execute(
        "SELECT location_name FROM timing_read_totals WHERE session_id = %(s)s "
        "UNION SELECT jsonb_array_elements_text(session_info -> 'locations') FROM connection_log "
        "WHERE session_id = %(s)s AND jsonb_typeof(session_info -> 'locations') = 'array' "
        "UNION SELECT location_name FROM timing_locations WHERE session_id = %(s)s",
        {"s": session_id},
    ).fetchall()
    return sorted(r[0] for r in rows)


def check_names(rules: Sequence[PointRule], known: Sequence[str], session_name: str) -> None:
    """Refuse points that are not locations of the session, naming the ones it has."""
    unknown = [r.location for r in rules if r.location not in known]
    if unknown and known:
        raise InputError(
            f"no location {', '.join(map(repr, unknown))} in session {session_name}: "
            f"its locations are {', '.join(known)}",
            what="timing point",
            where="--start/--split/--finish",
        )
    if unknown:
        raise InputError(
            f"session {session_name} has no locations yet, so {', '.join(unknown)} cannot be "
            "checked: set the points before the session (p88 results points without --session) "
            "or once its clients have connected",
            what="timing point",
        )


def propose(conn: psycopg.Connection[Any], session_id: int, race_distance: int) -> list[PointRule]:
    """Points read off a session, only when its locations make them unambiguous.

    One location named like 'start' is the start, one named like 'finish' the finish (a
    single location not named like a start is the finish of a one-mat race); every other
    location is a split, in the order runners first reach it. Anything else, or a finish
    with no reads yet, raises :class:`PointsNotReady`: the crew sets them with
    ``p88 results points``. The proposal is used for one run and never saved.
    """
    rows = conn.execute(
        "SELECT location_name, first_read, read_count FROM timing_read_totals "
        "WHERE session_id = %s ORDER BY first_read, location_name",
        (session_id,),
    ).fetchall()
    names = [r[0] for r in rows]
    announced = [n for n in known_locations(conn, session_id) if n not in names]
    hint = "set them: p88 results points --race RACE --start LOC --finish LOC [--split LOC]"
    if not names:
        raise PointsNotReady(f"session {session_id} has no reads yet", hint=hint)
    starts = [n for n in names + announced if "start" in n.lower()]
    finishes = [n for n in names + announced if "finish" in n.lower()]
    if len(names + announced) == 1 and not starts:
        return [PointRule(names[0], "finish", distance_m=race_distance)]
    if len(finishes) != 1 or len(starts) > 1:
        raise PointsNotReady(
            f"cannot tell the start and finish among locations {', '.join(names + announced)}",
            hint=hint,
        )
    if finishes[0] not in names:
        raise PointsNotReady(
            f"the finish {finishes[0]} has no reads yet (reads only at {', '.join(names)})",
            hint=hint,
        )
    rules = [PointRule(finishes[0], "finish", distance_m=race_distance)]
    if starts:
        rules.append(PointRule(starts[0], "start", distance_m=0))
    splits = [n for n in names if n not in starts and n not in finishes]
    rules += [
        PointRule(n, "split", seq=i + 1, distance_m=distance_in(n, race_distance))
        for i, n in enumerate(splits)
    ]
    return validate(rules)


def distance_in(name: str, race_distance: int) -> int | None:
    """'5K' -> 5000 when a location is named for its distance (and it is inside the race)."""
    from p88.units import parse_distance, whole_metres

    try:
        metres = whole_metres(parse_distance(name))
    except P88Error:
        return None
    return metres if 0 < metres < race_distance else None


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
