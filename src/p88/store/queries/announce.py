"""Crossings as a person reads them: the crossings list, who is coming up, the runner card.

A *crossing* is one runner's crossing of one point, by results scoring's rule (the read
:func:`p88.store.queries.board.point_standings` times them by: dead time, first or last
read, minimum time), with their name, their place at that point and their pace; a
runner's ten reads on a mat make one crossing, never ten rows.

- :func:`point_crossings`: every crossing of one point (its standings, with pace);
- :func:`latest_crossings`: the newest crossings at some points, newest first;
- :func:`points_read_after`: which points have reads after an id (what a live screen
  must look at again);
- :func:`coming_up`: runners on the course, with their finish time projected from their
  pace at their furthest point, in order of expected arrival (the announcer's list);
- :func:`runner_details`: what a card shows beyond the roster (city).

Distances come from the race's saved points (``p88 results points``): without them a
crossing has no pace and no runner can be projected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg import sql

from p88.store.queries.board import PointStanding, point_standings
from p88.store.queries.locations import location_order
from p88.store.queries.plan import Plan, Query
from p88.store.queries.reads import LATEST_LIMIT
from p88.store.queries.timing import Roster
from p88.store.results.points import PointRule
from p88.units import Per, pace

COMING_UP_LIMIT = 10
#: A runner projected to finish longer ago than this (by the newest read) is not "coming
#: up" any more: dropped out, or walking; the list is for who arrives next.
OVERDUE = timedelta(minutes=10)


@dataclass(frozen=True, kw_only=True)
class Crossing:
    """One runner's crossing of one point: who, when, how long after their start, their
    place at the point (overall) and their pace over the distance to it."""

    point: str
    tag: str
    bib: str
    name: str | None
    sex: str | None
    age_group: str | None
    at: datetime
    read_id: int
    elapsed: timedelta | None
    place: int
    distance_m: int | None
    pace: timedelta | None

    @property
    def division(self) -> str | None:
        """Sex and age group, as results list a division: ``F 30-34``."""
        parts = [p for p in (self.sex, self.age_group) if p]
        return " ".join(parts) if parts else None


@dataclass(frozen=True, kw_only=True)
class ComingUp:
    """A runner on the course: their furthest crossing so far and when they should finish."""

    crossing: Crossing
    finish_point: str
    projected: timedelta
    projected_at: datetime
    city: str | None
    leader: bool


@dataclass(frozen=True)
class RunnerDetails:
    """What a card shows beyond the roster."""

    city: str | None = None


def point_crossings(
    session_id: int, point: str, roster: Roster, *, per: Per = "mile"
) -> Plan[list[Crossing]]:
    """Every runner's crossing of ``point``, in place order (``point_standings``), with
    their pace over the point's distance when the race saved one."""
    standings = yield from point_standings(session_id, point, roster)
    return [_crossing(roster, point, s, per) for s in standings]


def _crossing(roster: Roster, point: str, s: PointStanding, per: Per) -> Crossing:
    tag = s.bib  # point_standings ranks tags
    runner = roster.runners.get(tag)
    distance = roster.rule_for(tag, point).distance_m
    return Crossing(
        point=point,
        tag=tag,
        bib=runner.bib if runner else tag,
        name=s.name,
        sex=s.sex,
        age_group=s.age_group,
        at=s.crossed_at,
        read_id=s.read_id,
        elapsed=s.time,
        place=s.place,
        distance_m=distance,
        pace=pace(s.time, distance, per) if s.time is not None and distance else None,
    )


def latest_crossings(
    session_id: int,
    roster: Roster,
    *,
    points: Sequence[str] | None = None,
    limit: int = LATEST_LIMIT,
    per: Per = "mile",
) -> Plan[list[Crossing]]:
    """The newest ``limit`` crossings at ``points`` (all the session's points when
    ``None``), newest first (by crossing time, then read id)."""
    if points is None:
        points = yield from location_order(session_id)
    out: list[Crossing] = []
    for point in points:
        out += yield from point_crossings(session_id, point, roster, per=per)
    return newest_first(out, limit)


def newest_first(crossings: Iterable[Crossing], limit: int = LATEST_LIMIT) -> list[Crossing]:
    """``crossings`` newest first (crossing time, then read id), at most ``limit``."""
    return sorted(crossings, key=lambda c: (c.at, c.read_id), reverse=True)[:limit]


def points_read_after(session_id: int, after_id: int) -> Plan[tuple[int, list[str]]]:
    """``(highest read id, points)`` of the session's reads with ``id > after_id``:
    the points whose crossings may have changed (``after_id`` and no points when none)."""
    rows = yield Query(
        sql.SQL(
            "SELECT max(id), array_agg(DISTINCT location_name) FROM timing_reads"
            " WHERE session_id = %(s)s AND id > %(after)s"
        ),
        {"s": session_id, "after": after_id},
    )
    top, points = rows[0] if rows else (None, None)
    return (int(top), sorted(points)) if top is not None else (after_id, [])


def runner_details(session_id: int, tags: Sequence[str]) -> Plan[dict[str, RunnerDetails]]:
    """City (and state) of the runners wearing ``tags`` in the session's races."""
    if not tags:
        return {}
    rows = yield Query(
        sql.SQL(
            "SELECT coalesce(res.tag_code, res.bib), pp.city, pp.state"
            " FROM ct_results res JOIN ct_races ra ON ra.id = res.race_id"
            " JOIN ct_participants pp ON pp.id = res.participant_id"
            " WHERE ra.session_id = %(s)s AND coalesce(res.tag_code, res.bib) = ANY(%(tags)s)"
            " ORDER BY res.race_id DESC, res.id DESC"
        ),
        {"s": session_id, "tags": list(tags)},
    )
    out: dict[str, RunnerDetails] = {}
    for tag, city, state in rows:
        place = ", ".join(p for p in (city, state) if p) or None
        out.setdefault(tag, RunnerDetails(city=place))
    return out


def coming_up(
    session_id: int,
    roster: Roster,
    *,
    limit: int = COMING_UP_LIMIT,
    now: datetime | None = None,
    overdue: timedelta = OVERDUE,
    per: Per = "mile",
) -> Plan[list[ComingUp]]:
    """The next ``limit`` runners expected at their race's finish, in order of arrival.

    A runner counts when they have crossed a point before their finish and not the finish:
    their finish is projected at the pace of their furthest crossing (elapsed × finish
    distance / distance there), from where their clock starts. ``now`` (default: the
    session's newest read) minus ``overdue`` is the earliest arrival still listed.
    ``leader`` marks the first of their division (sex and age group) at that point."""
    points = yield from location_order(session_id)
    furthest: dict[str, Crossing] = {}
    crossed: set[tuple[str, str]] = set()
    leaders: set[tuple[str, str]] = set()
    for point in points:
        seen: set[tuple[str, str]] = set()
        for c in (yield from point_crossings(session_id, point, roster, per=per)):
            crossed.add((c.tag, point))
            if c.sex and c.age_group and (c.sex, c.age_group) not in seen:
                seen.add((c.sex, c.age_group))
                leaders.add((c.tag, point))
            best = furthest.get(c.tag)
            if c.distance_m and (best is None or (best.distance_m or 0) < c.distance_m):
                furthest[c.tag] = c
    if now is None:
        now = yield from _newest_read(session_id)
    ahead: list[ComingUp] = []
    for tag, c in furthest.items():
        finish = _finish_of(roster, tag)
        if finish is None or c.elapsed is None or not c.distance_m or not finish.distance_m:
            continue
        if (tag, finish.location) in crossed or c.distance_m >= finish.distance_m:
            continue
        projected = c.elapsed * (finish.distance_m / c.distance_m)
        at = c.at + (projected - c.elapsed)
        if now is not None and at < now - overdue:
            continue
        ahead.append(
            ComingUp(
                crossing=c,
                finish_point=finish.location,
                projected=projected,
                projected_at=at,
                city=None,
                leader=(tag, c.point) in leaders,
            )
        )
    ahead.sort(key=lambda u: (u.projected_at, u.crossing.tag))
    ahead = ahead[:limit]
    details = yield from runner_details(session_id, [u.crossing.tag for u in ahead])
    return [
        ComingUp(
            crossing=u.crossing,
            finish_point=u.finish_point,
            projected=u.projected,
            projected_at=u.projected_at,
            city=details.get(u.crossing.tag, RunnerDetails()).city,
            leader=u.leader,
        )
        for u in ahead
    ]


def _finish_of(roster: Roster, tag: str) -> PointRule | None:
    race = roster.race_of(tag)
    if race is None:
        return None
    return next((p for p in race.points.values() if p.kind == "finish"), None)


def _newest_read(session_id: int) -> Plan[datetime | None]:
    rows = yield Query(
        sql.SQL("SELECT max(read_timestamp) FROM timing_reads WHERE session_id = %(s)s"),
        {"s": session_id},
    )
    return rows[0][0] if rows else None
