"""Standings at a timing point, the session's points in order, and the point to show first.

``point_standings`` is the one ranking of a timing point that ``p88 serve``'s leaderboard
and ``p88 tui``'s standings both show: each runner's first crossing of the point by
results scoring's rule (:func:`p88.store.queries.timing.first_crossing`), timed from the
gun that applies to the runner (their race's gun, or their wave's start), else from their
own start-mat crossing, ranked by that time; runners with neither come after, in the
order they crossed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import sql

from p88.store.queries.plan import Plan, Query
from p88.store.queries.races import RankedResult
from p88.store.queries.timing import GUNS, Roster, crossing_of, elapsed, references
from p88.store.results.crossings import Read

STANDINGS_LIMIT = 10_000


@dataclass(frozen=True, kw_only=True)
class PointStanding(RankedResult):
    """One runner's place at a timing point (a ranked line, and the read that timed it);
    ``place`` and ``gap`` count within the filter; ``time`` runs from the runner's gun,
    else their start-mat crossing (``None`` with neither)."""

    crossed_at: datetime
    read_id: int


def point_standings(
    session_id: int,
    point: str,
    roster: Roster,
    *,
    sex: str | None = None,
    age_group: str | None = None,
    limit: int = STANDINGS_LIMIT,
) -> Plan[list[PointStanding]]:
    """Each runner's first crossing of ``point``, ranked by time from their gun (ties: who
    crossed first, then tag), within the filters."""
    rows = yield Query(
        sql.SQL(
            "SELECT r.tag_code, r.id, r.read_timestamp, {guns} FROM timing_reads r"
            " WHERE r.session_id = %(s)s AND r.location_name = %(point)s"
            " ORDER BY r.tag_code, r.read_timestamp, r.id"
        ).format(guns=GUNS),
        {"s": session_id, "point": point},
    )
    guns: list[datetime] = rows[0][3] if rows else []
    by_tag: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for tag, read_id, ts, _ in rows:
        by_tag[tag].append((ts, read_id))
    runner_guns = roster.guns_for(
        (tag for tag in by_tag if _in_filter(roster, tag, sex, age_group)), guns
    )
    crossings: dict[str, Read] = {}
    for tag, gun in runner_guns.items():
        crossing = crossing_of(tuple(by_tag[tag]), roster.rule_for(tag, point), gun)
        if crossing is not None:
            crossings[tag] = crossing
    refs = yield from references(session_id, roster, runner_guns, crossings)
    ranked = [(tag, c, elapsed(c.ts, refs[tag])) for tag, c in crossings.items()]
    ranked.sort(key=_rank_key)
    out: list[PointStanding] = []
    leader = ranked[0][2] if ranked else None
    for place, (tag, crossing, time) in enumerate(ranked[:limit], start=1):
        runner = roster.runners.get(tag)
        out.append(
            PointStanding(
                place=place,
                bib=tag,
                name=runner.name if runner else None,
                sex=runner.sex if runner else None,
                age_group=runner.age_group if runner else None,
                time=time,
                gap=time - leader if time is not None and leader is not None else None,
                crossed_at=crossing.ts,
                read_id=crossing.id,
            )
        )
    return out


def _in_filter(roster: Roster, tag: str, sex: str | None, age_group: str | None) -> bool:
    runner = roster.runners.get(tag)
    if sex is not None and (runner is None or runner.sex != sex):
        return False
    return age_group is None or (runner is not None and runner.age_group == age_group)


def _rank_key(item: tuple[str, Read, timedelta | None]) -> tuple[Any, ...]:
    tag, crossing, time = item
    return rank_key(tag, crossing.ts, time)


def rank_key(tag: str, crossed_at: datetime, time: timedelta | None) -> tuple[Any, ...]:
    """The order of the standings at a point: by time, runners without one last; ties by
    who crossed first, then tag (a live feed ranks one new crossing with it)."""
    return (time is None, time or timedelta(0), crossed_at, tag)
