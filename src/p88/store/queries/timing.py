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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from psycopg import sql

from p88.store.queries.locations import location_order, start_point
from p88.store.queries.plan import Plan, Query
from p88.store.results.crossings import Read, cross_point
from p88.store.results.guns import elapsed, pick_race_gun, runner_gun
from p88.store.results.points import Kind, PointRule

__all__ = [
    "GUNS",
    "Entrant",
    "RaceTiming",
    "Roster",
    "elapsed",
    "READS_BY_TAG",
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

    def at_point(
        self, point: str, guns: Sequence[datetime]
    ) -> Callable[[str], tuple[datetime | None, PointRule]]:
        """A lookup of ``(gun_for(tag, guns), rule_for(tag, point))`` by tag, each race's
        gun and rule found once (a point's standings ask for every runner)."""
        race_guns = {r.id: pick_race_gun(guns, r.start_time)[0] for r in self.timings}
        rules = {r.id: self._rule(r, point) for r in self.timings}
        unattached = (pick_race_gun(guns, None)[0], self._rule(None, point))
        runners, by_id = self.runners, self._by_id

        def of(tag: str) -> tuple[datetime | None, PointRule]:
            runner = runners.get(tag)
            race = by_id.get(runner.race_id) if runner and runner.race_id else None
            if race is None or runner is None:
                return unattached
            return runner_gun(race_guns[race.id], race.waves, runner.wave), rules[race.id]

        return of

    def start_point(self, tag: str) -> str | None:
        """The start mat for this tag: their race's saved start point, else the session's
        point named like a start (:func:`p88.store.queries.locations.start_point`)."""
        return self._start_of(self.race_of(tag))

    def _start_of(self, race: RaceTiming | None) -> str | None:
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
        return self._rule(self.race_of(tag), point)

    def _rule(self, race: RaceTiming | None, point: str) -> PointRule:
        if race is not None and point in race.points:
            return race.points[point]
        return _default_rule(point, "start" if point == self._start_of(race) else "split")

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
    rule (:func:`p88.store.results.crossings.cross_point`: reads before the gun ignored,
    reads within the dead time one crossing, the first or last read of it, the point's
    minimum time from the gun); ``None`` if none counts."""
    mine = sorted(reads)
    index = cross_point([r.ts for r in mine], [r.id for r in mine], rule, gun, gun)
    return mine[index] if index is not None else None


#: Each tag's reads at some points, as sorted arrays (``%(s)s`` the session): the same
#: per-runner shape :func:`p88.store.results.crossings.cross_point` takes, built by the
#: database, so no Python object is made per read.
READS_BY_TAG = sql.SQL(
    "SELECT r.tag_code, r.location_name,"
    " array_agg(r.read_timestamp ORDER BY r.read_timestamp, r.id),"
    " array_agg(r.id ORDER BY r.read_timestamp, r.id)"
    " FROM timing_reads r WHERE r.session_id = %(s)s AND {cond}"
    " GROUP BY r.tag_code, r.location_name"
)


def references(
    session_id: int,
    roster: Roster,
    guns: Mapping[str, datetime | None],
    known: Mapping[str, datetime] | None = None,
    known_at: str | None = None,
) -> Plan[dict[str, datetime | None]]:
    """Where each tag's clock starts for a display: the gun that applies to them (``guns``,
    from ``Roster.guns_for``), else their first crossing of their start mat (one query,
    only when some tag has no gun). ``known``: the times of crossings of point
    ``known_at`` already found, by tag, reused when that point is the tag's start mat."""
    refs = dict(guns)
    wanted: dict[str, str] = {}
    for tag, gun in guns.items():
        if gun is not None:
            continue
        point = roster.start_point(tag)
        if known is not None and point == known_at and tag in known:
            refs[tag] = known[tag]
        elif point is not None:
            wanted[tag] = point
    if not wanted:
        return refs
    rows = yield Query(
        READS_BY_TAG.format(
            cond=sql.SQL("r.location_name = ANY(%(points)s) AND r.tag_code = ANY(%(tags)s)")
        ),
        {"s": session_id, "points": sorted(set(wanted.values())), "tags": sorted(wanted)},
    )
    for tag, point, times, ids in rows:
        if wanted[tag] == point:
            index = cross_point(times, ids, roster.rule_for(tag, point), None, None)
            refs[tag] = times[index] if index is not None else None
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
