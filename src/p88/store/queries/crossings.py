"""Crossings, not reads: what a person looking at a screen wants to see.

A mat reads a runner's chip several times as they pass (antennas, a slow walker); results
scoring makes those reads one crossing (:func:`p88.store.queries.timing.first_crossing`,
the dead time and read choice of the point). :func:`crossings` gives one row per runner
per point by that rule, built on :func:`p88.store.queries.board.point_standings` (so the
place shown is the place in the standings at that point), with what a display prints
beside it: the runner's city and division, their pace to the point, and their display
message and VIP flag (migration 018), read again on every call so that an edit made while
the race runs shows for the next crossing.

:func:`tag_assignments` answers the chip check at packet pickup: who a tag belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import sql

from p88.store.queries.board import point_standings
from p88.store.queries.locations import FINISH_NAMES, FINISH_WORD
from p88.store.queries.plan import Plan, Query
from p88.store.queries.ranking import Ranking, new_crossings, ranked_into
from p88.store.queries.timing import Roster
from p88.units import pace

__all__ = [
    "Assignment",
    "Crossing",
    "Ranking",
    "crossings",
    "division_label",
    "is_finish_name",
    "recent_crossings",
    "tag_assignments",
]

#: The newest crossings a page loads with (over every point of the session).
RECENT_LIMIT = 200


@dataclass(frozen=True, kw_only=True)
class Crossing:
    """One runner's crossing of one point, as every display shows it.

    ``place`` is the runner's place in the standings at ``point``; ``elapsed`` runs from
    their gun (else their start-mat crossing); ``pace`` is per mile over the distance to
    the point (``None`` when no distance is known); ``course_m`` is their race's distance.
    ``message`` is the entry's own, else its division's default, else the point's."""

    read_id: int
    session_id: int
    point: str
    tag: str
    bib: str
    name: str | None
    city: str | None = None
    sex: str | None = None
    age_group: str | None = None
    race_id: int | None = None
    race: str | None = None
    at: datetime
    elapsed: timedelta | None
    place: int
    pace: timedelta | None = None
    distance_m: int | None = None
    course_m: int | None = None
    message: str | None = None
    vip: bool = False

    @property
    def division(self) -> str | None:
        return division_label(self.sex, self.age_group)


@dataclass(frozen=True)
class Assignment:
    """Who a tag belongs to in a session's races: ``status`` is 'assigned', 'unknown'
    (no entry carries it) or 'ambiguous' (several do)."""

    tag: str
    status: str
    bib: str | None = None
    name: str | None = None
    city: str | None = None
    division: str | None = None
    race: str | None = None


def division_label(sex: str | None, age_group: str | None) -> str | None:
    """A division as displays print it and defaults are keyed: 'F35-39', 'M', or None."""
    if not sex and not age_group:
        return None
    return f"{sex or ''}{age_group or ''}"


def is_finish_name(point: str) -> bool:
    """True when a point's name says it is the finish (as ``default_point`` reads names)."""
    low = point.strip().lower()
    return FINISH_WORD in low or low in FINISH_NAMES


_PROFILES = sql.SQL(
    "SELECT coalesce(res.tag_code, res.bib), pp.city, ra.name, ra.distance_m, rp.kind,"
    " rp.distance_m, m.message, coalesce(m.vip, false), dd.message, pd.message"
    " FROM ct_results res JOIN ct_races ra ON ra.id = res.race_id"
    " JOIN ct_participants pp ON pp.id = res.participant_id"
    " LEFT JOIN ct_race_points rp ON rp.race_id = res.race_id"
    "  AND rp.location_name = %(point)s"
    " LEFT JOIN ct_display_messages m ON m.race_id = res.race_id AND m.bib = res.bib"
    " LEFT JOIN ct_display_defaults dd ON dd.race_id = res.race_id AND dd.scope = 'division'"
    "  AND dd.key = coalesce(res.sex, '') || coalesce(res.age_group, '')"
    " LEFT JOIN ct_display_defaults pd ON pd.race_id = res.race_id AND pd.scope = 'point'"
    "  AND pd.key = %(point)s"
    " WHERE ra.session_id = %(s)s AND coalesce(res.tag_code, res.bib) = ANY(%(tags)s)"
    " ORDER BY res.race_id, res.id"
)


@dataclass(frozen=True)
class _Profile:
    city: str | None
    race: str
    course_m: int
    kind: str | None
    point_m: int | None
    message: str | None
    vip: bool


def _profiles(session_id: int, point: str, tags: Sequence[str]) -> Plan[dict[str, _Profile]]:
    """City, race, distances and display message of each tag's entry (the newest race's
    when a tag is in two, as the roster counts it: rows come oldest first, the last wins)."""
    if not tags:
        return {}
    rows = yield Query(_PROFILES, {"s": session_id, "point": point, "tags": list(tags)})
    out: dict[str, _Profile] = {}
    for tag, city, race, course, kind, point_m, own, vip, by_division, by_point in rows:
        message = own or by_division or by_point
        out[tag] = _Profile(city, race, course, kind, point_m, message, bool(vip))
    return out


def _distance(profile: _Profile | None, point: str) -> int | None:
    """Metres from the start to ``point``: the race's saved distance for the point, else
    the race's distance when the point is its finish (by role, or by name when the race
    saved no points)."""
    if profile is None:
        return None
    if profile.point_m is not None:
        return profile.point_m
    if profile.kind == "finish" or (profile.kind is None and is_finish_name(point)):
        return profile.course_m
    return None


def crossings(
    session_id: int,
    roster: Roster,
    *,
    points: Iterable[str] | None = None,
    read_ids: Iterable[int] | None = None,
    rankings: dict[str, Ranking] | None = None,
) -> Plan[list[Crossing]]:
    """Each runner's crossing of each point (of ``points``, else every point of the
    session), in crossing order (time, then read id). With ``read_ids`` only the crossings
    timed by one of those reads: what a batch of new reads added; ``rankings`` (by point,
    kept by the caller between batches, see ``Ranking``) spares ranking the whole point
    again for each batch."""
    wanted = set(read_ids) if read_ids is not None else None
    out: list[Crossing] = []
    for point in list(points) if points is not None else list(roster.locations):
        ranking = rankings.setdefault(point, Ranking()) if rankings is not None else None
        if wanted is None:
            standings = yield from point_standings(session_id, point, roster)
        else:
            new, guns = yield from new_crossings(session_id, point, roster, wanted)
            if not new:
                continue  # more reads of crossings already made (most reads at a busy mat)
            if ranking is not None and ranking.ready and ranking.guns == tuple(guns):
                standings = yield from ranked_into(session_id, point, roster, new, guns, ranking)
            else:
                standings = yield from point_standings(session_id, point, roster)
                if ranking is not None:
                    ranking.fill(guns, standings)
                standings = [s for s in standings if s.read_id in wanted]
        profiles = yield from _profiles(session_id, point, [s.bib for s in standings])
        for s in standings:
            runner = roster.runners.get(s.bib)
            profile = profiles.get(s.bib)
            metres = _distance(profile, point)
            out.append(
                Crossing(
                    read_id=s.read_id,
                    session_id=session_id,
                    point=point,
                    tag=s.bib,
                    bib=runner.bib if runner else s.bib,
                    name=s.name,
                    city=profile.city if profile else None,
                    sex=s.sex,
                    age_group=s.age_group,
                    race_id=runner.race_id if runner else None,
                    race=profile.race if profile else None,
                    at=s.crossed_at,
                    elapsed=s.time,
                    place=s.place,
                    pace=pace(s.time, metres) if s.time is not None and metres else None,
                    distance_m=metres,
                    course_m=profile.course_m if profile else None,
                    message=profile.message if profile else None,
                    vip=profile.vip if profile else False,
                )
            )
    out.sort(key=lambda c: (c.at, c.read_id))
    return out


def recent_crossings(
    session_id: int, roster: Roster, *, point: str | None = None, limit: int = RECENT_LIMIT
) -> Plan[list[Crossing]]:
    """The newest ``limit`` crossings of the session (or of one point), oldest first."""
    found = yield from crossings(session_id, roster, points=None if point is None else [point])
    return found[-limit:] if limit > 0 else []


def tag_assignments(session_id: int, tags: Sequence[str]) -> Plan[dict[str, Assignment]]:
    """Who each tag is assigned to among the entries of the session's races (chip check)."""
    rows = yield Query(
        sql.SQL(
            "SELECT coalesce(res.tag_code, res.bib), res.bib,"
            " trim(pp.first_name || ' ' || pp.last_name), pp.city, res.sex, res.age_group,"
            " ra.name FROM ct_results res JOIN ct_races ra ON ra.id = res.race_id"
            " JOIN ct_participants pp ON pp.id = res.participant_id"
            " WHERE ra.session_id = %(s)s AND coalesce(res.tag_code, res.bib) = ANY(%(tags)s)"
            " ORDER BY res.race_id, res.id"
        ),
        {"s": session_id, "tags": list(tags)},
    )
    found: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row)
    out: dict[str, Assignment] = {}
    for tag in tags:
        mine = found.get(tag, [])
        if not mine:
            out[tag] = Assignment(tag, "unknown")
            continue
        _, bib, name, city, sex, group, race = mine[-1]
        status = "assigned" if len(mine) == 1 else "ambiguous"
        out[tag] = Assignment(tag, status, bib, name, city, division_label(sex, group), race)
    return out
