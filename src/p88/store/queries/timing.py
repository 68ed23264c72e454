"""Who runs in a session, and the timing rules that apply to their reads.

``Roster`` holds a session's entries (from the results tables: bib = tag unless mapped),
its races with their scheduled start, waves and saved timing points. With the session's
gun events (always read fresh: a gun can fire while a screen is open) it answers, by the
same rules as results scoring (:mod:`p88.store.results.guns`,
:mod:`p88.store.results.crossings`):

- ``gun_for(tag, guns)``: the gun that applies to a runner's reads (the gun event nearest
  their race's start, or their wave's start);
- ``rule_for(tag, point)``: how their reads at a point become one crossing (dead time,
  first or last read, minimum time);
- :func:`first_crossing`: the read that times their crossing of a point;
- :func:`references`: where a runner's clock starts for a display: their gun, else their
  own start-mat crossing (so the time shown is the gun time, else the chip time: what
  ``live_ranking`` ranks by).

A tag with no entry gets the session's first gun and the default point rule (first read,
10 s dead time; the last read on the start mat); a session without races has no names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from psycopg import sql

from p88.store.queries.locations import location_order, start_point
from p88.store.queries.plan import Plan, Query
from p88.store.results.crossings import USED, Read, time_entry
from p88.store.results.guns import elapsed, pick_race_gun, runner_gun
from p88.store.results.points import Kind, PointRule

__all__ = [
    "GUNS",
    "Entrant",
    "RaceTiming",
    "Roster",
    "elapsed",
    "crossing_of",
    "first_crossing",
    "load_roster",
    "references",
]

#: A column with the session's gun events, sorted (``%(s)s`` is the session id): joined
#: into the query that needs them, so a live screen pays no extra round trip.
GUNS = sql.SQL(
    "ARRAY(SELECT g.gun_timestamp FROM timing_gun_events g"
    " WHERE g.session_id = %(s)s ORDER BY g.gun_timestamp)"
)

_ENTRANTS = sql.SQL(
    "SELECT coalesce(res.tag_code, res.bib), res.bib,"
    " trim(pp.first_name || ' ' || pp.last_name), res.sex, res.age_group, res.race_id, res.wave"
    " FROM ct_results res JOIN ct_races ra ON ra.id = res.race_id"
    " JOIN ct_participants pp ON pp.id = res.participant_id"
    " WHERE ra.session_id = %(s)s ORDER BY res.race_id DESC, res.id DESC"
)
_RACES = sql.SQL(
    "SELECT ra.id, ra.name, ra.start_time,"
    " ARRAY(SELECT ARRAY[w.wave, w.start_time::text] FROM ct_race_waves w"
    "  WHERE w.race_id = ra.id AND w.start_time IS NOT NULL)"
    " FROM ct_races ra WHERE ra.session_id = %(s)s ORDER BY ra.id"
)
_POINTS = sql.SQL(
    "SELECT p.race_id, p.location_name, p.kind, p.seq, p.distance_m, p.read_choice,"
    " p.dead_time, p.min_elapsed FROM ct_race_points p JOIN ct_races ra ON ra.id = p.race_id"
    " WHERE ra.session_id = %(s)s"
)


@dataclass(frozen=True)
class Entrant:
    """One entry of the results tables: who wears a tag, in which race and wave."""

    bib: str
    name: str
    sex: str | None
    age_group: str | None
    race_id: int | None = None
    wave: str | None = None


@dataclass(frozen=True)
class RaceTiming:
    """What decides the times of a race's runners: its scheduled start, waves, points."""

    id: int
    name: str
    start_time: datetime | None
    waves: Mapping[str, datetime] = field(default_factory=dict)
    points: Mapping[str, PointRule] = field(default_factory=dict)


@dataclass(frozen=True)
class Roster:
    """Who wears which tag in a session, and the session's races; or nobody.

    ``load_roster`` builds it; ``Roster()`` is the empty roster (tags only, no names).
    """

    runners: dict[str, Entrant] = field(default_factory=dict)
    timings: tuple[RaceTiming, ...] = ()
    locations: tuple[str, ...] = ()

    @property
    def races(self) -> tuple[tuple[int, str], ...]:
        """``(id, name)`` of the session's races, by id."""
        return tuple((r.id, r.name) for r in self.timings)

    def name(self, tag: str) -> str | None:
        runner = self.runners.get(tag)
        return runner.name if runner else None

    @cached_property
    def _by_id(self) -> dict[int, RaceTiming]:
        return {r.id: r for r in self.timings}

    def race_of(self, tag: str) -> RaceTiming | None:
        runner = self.runners.get(tag)
        return self._by_id.get(runner.race_id) if runner and runner.race_id else None

    def gun_for(self, tag: str, guns: Sequence[datetime]) -> datetime | None:
        """The gun that applies to this tag's reads, given the session's gun events."""
        return self.guns_for([tag], guns)[tag]

    def guns_for(self, tags: Iterable[str], guns: Sequence[datetime]) -> dict[str, datetime | None]:
        """``gun_for`` of many tags (each race's gun is picked once)."""
        race_guns = {r.id: pick_race_gun(guns, r.start_time)[0] for r in self.timings}
        unattached = pick_race_gun(guns, None)[0]
        out: dict[str, datetime | None] = {}
        for tag in tags:
            race = self.race_of(tag)
            out[tag] = (
                runner_gun(race_guns[race.id], race.waves, self.runners[tag].wave)
                if race is not None
                else unattached
            )
        return out

    def start_point(self, tag: str) -> str | None:
        """The start mat for this tag: their race's saved start point, else the session's
        point named like a start (:func:`p88.store.queries.locations.start_point`)."""
        race = self.race_of(tag)
        if race is not None and race.points:
            return next((p.location for p in race.points.values() if p.kind == "start"), None)
        return self._named_start

    @cached_property
    def _named_start(self) -> str | None:
        return start_point(list(self.locations))

    def rule_for(self, tag: str, point: str) -> PointRule:
        """How this tag's reads at ``point`` make a crossing: the race's saved rule for the
        point, else the default (10 s dead time; the first read of a crossing, the last on
        the start mat)."""
        race = self.race_of(tag)
        if race is not None and point in race.points:
            return race.points[point]
        return _default_rule(point, "start" if point == self.start_point(tag) else "split")

    def tags_named(self, text: str) -> list[str]:
        """Tags of runners whose bib is ``text`` or whose name contains it (any case)."""
        needle = text.casefold()
        return sorted(
            tag for tag, r in self.runners.items() if r.bib == text or needle in r.name.casefold()
        )[:100]

    def categories(self) -> tuple[list[str], list[str]]:
        """The sexes and age groups present, for the standings filters."""
        sexes = {r.sex for r in self.runners.values() if r.sex}
        groups = {r.age_group for r in self.runners.values() if r.age_group}
        return sorted(sexes), sorted(groups, key=_age_key)


@lru_cache(maxsize=256)
def _default_rule(point: str, kind: Kind) -> PointRule:
    return PointRule(point, kind)


def _age_key(group: str) -> tuple[int, str]:
    digits = "".join(ch if ch.isdigit() else " " for ch in group).split()
    return (int(digits[0]) if digits else -1, group)


def first_crossing(reads: Sequence[Read], rule: PointRule, gun: datetime | None) -> Read | None:
    """The read that times a runner's first crossing of ``rule``'s point, by scoring's
    rule (reads before the gun ignored, reads within the dead time one crossing, the
    first or last read of it, the point's minimum time); ``None`` if none counts."""
    return crossing_of(tuple((r.ts, r.id) for r in reads), rule, gun)


@lru_cache(maxsize=50_000)
def crossing_of(
    stamps: tuple[tuple[datetime, int], ...], rule: PointRule, gun: datetime | None
) -> Read | None:
    """``first_crossing`` of reads given as ``(read_timestamp, id)`` pairs at ``rule``'s
    point. Scoring's ``time_entry`` decides; its answer depends only on the arguments, so
    it is kept for runners whose reads did not change: a live screen re-ranks a point on
    every new read, and re-timing every runner each time cost 25 us a runner."""
    reads = [Read(ts, read_id, rule.location) for ts, read_id in stamps]
    timing = time_entry({rule.location: reads}, [rule], gun)
    used = next((v[0] for v in timing.verdicts if v[2] == USED), None)
    return next((r for r in reads if r.id == used), None)


def references(
    session_id: int,
    roster: Roster,
    guns: Mapping[str, datetime | None],
    known: Mapping[str, Read] | None = None,
) -> Plan[dict[str, datetime | None]]:
    """Where each tag's clock starts for a display: the gun that applies to them (``guns``,
    from ``Roster.guns_for``), else their first crossing of their start mat (one query,
    only when some tag has no gun). ``known``: crossings already found, by tag (one
    point's), reused when that point is the tag's start mat."""
    refs = dict(guns)
    starts = {tag: roster.start_point(tag) for tag, gun in refs.items() if gun is None}
    wanted: dict[str, str] = {}
    for tag, point in starts.items():
        crossing = (known or {}).get(tag)
        if crossing is not None and crossing.location == point:
            refs[tag] = crossing.ts
        elif point is not None:
            wanted[tag] = point
    if not wanted:
        return refs
    rows = yield Query(
        sql.SQL(
            "SELECT tag_code, id, read_timestamp, location_name FROM timing_reads"
            " WHERE session_id = %(s)s AND location_name = ANY(%(points)s)"
            " AND tag_code = ANY(%(tags)s) ORDER BY tag_code, read_timestamp, id"
        ),
        {"s": session_id, "points": sorted(set(wanted.values())), "tags": sorted(wanted)},
    )
    reads: dict[str, list[Read]] = {}
    for tag, read_id, ts, point in rows:
        if wanted[tag] == point:
            reads.setdefault(tag, []).append(Read(ts, read_id, point))
    for tag, mine in reads.items():
        crossing = first_crossing(mine, roster.rule_for(tag, wanted[tag]), None)
        refs[tag] = crossing.ts if crossing is not None else None
    return refs


def _parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def load_roster(session_id: int) -> Plan[Roster]:
    """The session's points, entries and races (races whose ``session_id`` is this
    session; a tag in two races counts for the newest)."""
    locations = tuple((yield from location_order(session_id)))
    params: dict[str, Any] = {"s": session_id}
    races = yield Query(_RACES, params)
    if not races:
        return Roster(locations=locations)
    points: dict[int, dict[str, PointRule]] = {}
    for race_id, *p in (yield Query(_POINTS, params)):
        points.setdefault(race_id, {})[p[0]] = PointRule(*p)
    timings = tuple(
        RaceTiming(
            rid,
            name,
            start,
            {w: _parse_ts(t) for w, t in waves or ()},
            points.get(rid, {}),
        )
        for rid, name, start, waves in races
    )
    runners: dict[str, Entrant] = {}
    for tag, bib, name, sex, group, race_id, wave in (yield Query(_ENTRANTS, params)):
        runners.setdefault(tag, Entrant(bib, name, sex, group, race_id, wave))
    return Roster(runners, timings, locations)
