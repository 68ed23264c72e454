"""On-course status: who has started, where each runner was last seen, when they should
reach the next point, and who is overdue there — read from the scored results.

Everything comes from what scoring committed (``ct_results`` and ``ct_splits``), so the
status agrees with the results a follower announces. The time it is judged at (``as_of``)
is the race clock (the session's latest read, the mats' own time) unless given.

* **Started**: the runner has a start crossing or any later one.
* **Last seen**: the furthest point (in course order) where the runner has a crossing.
* **Projection** to the next point: the last crossing plus the distance still to run at the
  runner's own pace so far (start to last point). A runner seen only at the start has no
  pace yet: the field's median pace to that next point is used (``pace_source`` says which).
* **Overdue**: ``as_of`` is later than the projection plus a grace of
  ``max(OVERDUE_MIN, OVERDUE_SHARE × the projected time for the stretch)`` — a possible
  medical case, or a mat that missed the runner (they reappear further on).
* **Cut-offs**: each point's cut-off and when it closes for the first wave; runners past
  one are DNF in the results (:mod:`.cutoffs`), with the reason as their note.

:func:`course_status` is a query plan (``p88.store.queries.plan``): ``run(conn,
course_status(race_id))`` on a sync connection (the CLI, the server's pool),
``await arun(aconn, course_status(race_id))`` on an async one (a TUI tab), without a
thread. It writes nothing, so a read-only connection will do.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from psycopg import sql

from p88.errors import InputError
from p88.store.queries.plan import Plan, Query
from p88.store.results import points as pts
from p88.store.results.cutoffs import clock_plan
from p88.store.results.guns import pick_race_gun

__all__ = [
    "OVERDUE_MIN",
    "OVERDUE_SHARE",
    "CourseStatus",
    "PointStatus",
    "RunnerStatus",
    "course_document",
    "course_status",
    "project",
]

OVERDUE_MIN = timedelta(minutes=5)
OVERDUE_SHARE = 0.25


@dataclass(frozen=True)
class RunnerStatus:
    """One runner on (or off) the course."""

    bib: str
    name: str
    state: str  # not_started, on_course, finished, review, DNF, DNS, DQ
    started: datetime | None
    last_point: str | None
    last_seen: datetime | None
    next_point: str | None = None
    projected: datetime | None = None
    pace_s_per_km: float | None = None
    pace_source: str | None = None
    overdue_by: timedelta | None = None
    past_cutoff_projected: bool = False
    note: str | None = None


@dataclass(frozen=True)
class PointStatus:
    """One timing point: crossings so far, runners last seen there, its cut-off."""

    name: str
    kind: str
    distance_m: int | None
    passed: int
    last_seen_here: int
    cutoff: timedelta | None
    closes_at: datetime | None
    overdue_next: int = 0  # on-course runners overdue at this point


@dataclass(frozen=True)
class CourseStatus:
    """The whole course at ``as_of``."""

    race_id: int
    session_id: int | None
    as_of: datetime | None
    as_of_source: str
    counts: dict[str, int]
    points: list[PointStatus]
    overdue: list[RunnerStatus]
    runners: list[RunnerStatus] = field(default_factory=list)


def project(
    last_seen: datetime, last_m: int, next_m: int, pace_s_per_m: float
) -> tuple[datetime, timedelta]:
    """When a runner last seen at ``last_m`` reaches ``next_m`` at that pace, and the grace
    after which they are overdue there."""
    stretch = timedelta(seconds=(next_m - last_m) * pace_s_per_m)
    return last_seen + stretch, max(OVERDUE_MIN, stretch * OVERDUE_SHARE)


_ROWS = sql.SQL("""
SELECT r.bib, trim(p.first_name || ' ' || p.last_name), r.wave, r.status, r.start_time, r.note,
       coalesce(array_agg(s.point) FILTER (WHERE s.point IS NOT NULL), '{}'),
       coalesce(array_agg(s.crossing_time) FILTER (WHERE s.point IS NOT NULL), '{}')
FROM ct_results r JOIN ct_participants p ON p.id = r.participant_id
LEFT JOIN ct_splits s ON s.result_id = r.id
WHERE r.race_id = %(race)s
GROUP BY r.id, p.first_name, p.last_name
""")


def course_status(
    race_id: int,
    *,
    as_of: datetime | None = None,
    bib: str | None = None,
    limit: int = 50,
) -> Plan[CourseStatus]:
    """The race's on-course status (see the module docstring), as a query plan: run it
    with ``run(conn, course_status(race))`` or ``await arun(aconn, course_status(race))``.
    ``bib`` adds that runner's own line to ``runners``; ``limit`` bounds the overdue list
    (most overdue first). InputError for an unknown race or bib, or a race without points.
    """
    found = yield Query(
        sql.SQL("SELECT start_time, session_id FROM ct_races WHERE id = %(race)s"),
        {"race": race_id},
    )
    if not found:
        raise InputError(f"no race {race_id}", what="race", where="--race")
    scheduled, session = found[0]
    rules = yield from pts.points_plan(race_id)
    if not rules:
        raise InputError(
            f"race {race_id} has no timing points stored",
            hint=f"set them: p88 results points --race {race_id} --start LOC --finish LOC",
            what="race",
            where="--race",
        )
    guns = yield Query(
        sql.SQL(
            "SELECT gun_timestamp FROM timing_gun_events WHERE session_id = %(s)s "
            "ORDER BY gun_timestamp"
        ),
        {"s": session},
    )
    gun = pick_race_gun([g[0] for g in guns], scheduled)[0]
    source = "given"
    if as_of is None:
        as_of = yield from clock_plan(session)
        source = "race clock (latest read)"
    wave_rows = yield Query(
        sql.SQL(
            "SELECT wave, start_time FROM ct_race_waves WHERE race_id = %(race)s "
            "AND start_time IS NOT NULL"
        ),
        {"race": race_id},
    )
    waves: dict[str, datetime] = {w: t for w, t in wave_rows}  # noqa: C416 (typed)
    rows = yield Query(_ROWS, {"race": race_id})
    order = {r.location: i for i, r in enumerate(rules)}
    field_pace = _field_pace(rows, rules, waves, gun)
    runners = [_runner(row, rules, order, waves, gun, as_of, field_pace) for row in rows]
    counts = Counter(r.state for r in runners)
    passed = Counter(p for row in rows for p in row[6])
    here = Counter(r.last_point for r in runners if r.state == "on_course")
    late = Counter(r.next_point for r in runners if r.overdue_by is not None)
    points = [
        PointStatus(
            name=r.location,
            kind=r.kind,
            distance_m=r.distance_m,
            passed=passed[r.location]
            + (sum(1 for x in runners if x.started) if r.kind == "start" else 0),
            last_seen_here=here[r.location],
            cutoff=r.cutoff,
            closes_at=gun + r.cutoff if gun is not None and r.cutoff is not None else None,
            overdue_next=late[r.location],
        )
        for r in rules
    ]
    overdue = sorted(
        (r for r in runners if r.overdue_by is not None),
        key=lambda r: (-(r.overdue_by or timedelta(0)).total_seconds(), r.bib),
    )
    mine = [r for r in runners if bib is not None and r.bib == bib]
    if bib is not None and not mine:
        raise InputError(f"no bib {bib} in race {race_id}", what="bib", where="--bib")
    return CourseStatus(
        race_id=race_id,
        session_id=session,
        as_of=as_of,
        as_of_source=source,
        counts={
            "entered": len(runners),
            "started": sum(1 for r in runners if r.started),
            **{k: counts.get(k, 0) for k in ("not_started", "on_course", "finished", "review")},
            **{k: counts.get(k, 0) for k in ("DNF", "DNS", "DQ")},
        },
        points=points,
        overdue=overdue[:limit],
        runners=mine,
    )


def _reference(
    wave: str | None, start: datetime | None, waves: dict[str, datetime], gun: Any
) -> Any:
    return start or (waves.get(wave, gun) if wave else gun)


def _field_pace(
    rows: list[Any], rules: list[pts.PointRule], waves: dict[str, datetime], gun: Any
) -> dict[str, float]:
    """Per point with a distance: the median pace (s/m) of the runners who reached it."""
    distance = {r.location: r.distance_m for r in rules if r.distance_m}
    paces: dict[str, list[float]] = {}
    for _bib, _name, wave, _status, start, _note, names, times in rows:
        ref = _reference(wave, start, waves, gun)
        if ref is None:
            continue
        for name, at in zip(names, times, strict=True):
            if name in distance:
                paces.setdefault(name, []).append((at - ref).total_seconds() / distance[name])
    return {name: statistics.median(v) for name, v in paces.items()}


def _runner(
    row: Any,
    rules: list[pts.PointRule],
    order: dict[str, int],
    waves: dict[str, datetime],
    gun: Any,
    as_of: datetime | None,
    field_pace: dict[str, float],
) -> RunnerStatus:
    bib, name, wave, status, start, note, names, times = row
    seen = sorted(
        ((order[n], n, t) for n, t in zip(names, times, strict=True) if n in order),
        key=lambda x: x[0],
    )
    started = start or (min(times) if times else None)
    state = status or ("on_course" if started else "not_started")
    last_point = seen[-1][1] if seen else (rules[0].location if start else None)
    last_seen = seen[-1][2] if seen else start
    base = RunnerStatus(bib, name, state, started, last_point, last_seen, note=note)
    if state != "on_course" or last_point is None or last_seen is None:
        return base
    at = order[last_point]
    following = [r for r in rules[at + 1 :] if r.kind != "start"]
    if not following:
        return base
    nxt = following[0]
    last_m = rules[at].distance_m if rules[at].kind != "start" else 0
    ref = _reference(wave, start, waves, gun)
    if nxt.distance_m is None or last_m is None or ref is None:
        return RunnerStatus(**{**base.__dict__, "next_point": nxt.location})
    if last_m > 0:
        pace, source = (last_seen - ref).total_seconds() / last_m, "own"
    elif nxt.location in field_pace:
        pace, source = field_pace[nxt.location], "field"
    else:
        return RunnerStatus(**{**base.__dict__, "next_point": nxt.location})
    projected, grace = project(last_seen, last_m, nxt.distance_m, pace)
    overdue = as_of - projected if as_of is not None and as_of > projected + grace else None
    closes = None
    if nxt.cutoff is not None:
        e_gun = waves.get(wave, gun) if wave else gun
        closes = e_gun + nxt.cutoff if e_gun is not None else None
    return RunnerStatus(
        **{
            **base.__dict__,
            "next_point": nxt.location,
            "projected": projected,
            "pace_s_per_km": round(pace * 1000, 1),
            "pace_source": source,
            "overdue_by": overdue,
            "past_cutoff_projected": closes is not None and projected > closes,
        }
    )


def course_document(s: CourseStatus) -> dict[str, Any]:
    """The course status as JSON (``p88 results course --json``, ``GET
    /api/results/{race}/course``): times of day ISO 8601, durations ``p88.units`` style."""
    from p88.units import json_value

    doc = {
        "race_id": s.race_id,
        "session_id": s.session_id,
        "as_of": s.as_of,
        "as_of_source": s.as_of_source,
        "counts": s.counts,
        "points": [
            {
                "name": p.name,
                "role": p.kind,
                "distance_m": p.distance_m,
                "passed": p.passed,
                "last_seen_here": p.last_seen_here,
                "overdue_next": p.overdue_next,
                "cutoff": p.cutoff,
                "closes_at": p.closes_at,
            }
            for p in s.points
        ],  # fmt: skip
        "overdue": [runner_json(r) for r in s.overdue],
        "runners": [runner_json(r) for r in s.runners],
    }
    return json.loads(json.dumps(doc, default=json_value))  # type: ignore[no-any-return]


def runner_json(r: RunnerStatus) -> dict[str, Any]:
    """One runner of :func:`course_document`."""
    return {
        "bib": r.bib, "name": r.name, "state": r.state, "started": r.started,
        "last_point": r.last_point, "last_seen": r.last_seen, "next_point": r.next_point,
        "projected": r.projected, "pace_s_per_km": r.pace_s_per_km,
        "pace_source": r.pace_source, "overdue_by": r.overdue_by,
        "past_cutoff_projected": r.past_cutoff_projected, "note": r.note,
    }  # fmt: skip
