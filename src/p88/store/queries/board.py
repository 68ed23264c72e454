"""Standings at a timing point, the session's points in order, and the point to show first.

``point_standings`` is the one ranking of a timing point that ``p88 serve``'s leaderboard
and ``p88 tui``'s standings both show: each runner's first crossing of the point by
results scoring's rule (:func:`p88.store.queries.timing.first_crossing`), timed from the
gun that applies to the runner (their race's gun, or their wave's start), else from their
own start-mat crossing, ranked by that time; runners with neither come after, in the
order they crossed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import sql

from p88.store.queries.memo import Remembered
from p88.store.queries.plan import Plan, Query
from p88.store.queries.races import RankedResult
from p88.store.queries.timing import GUNS, READS_BY_TAG, Roster, elapsed, references
from p88.store.results.crossings import cross_point

STANDINGS_LIMIT = 10_000
_REMEMBERED: Remembered[list[PointStanding]] = Remembered()

#: The session's gun events (one row, tag ``NULL``), then each tag's reads at the point.
_POINT_READS = sql.SQL("SELECT NULL, NULL, {guns}, NULL UNION ALL ({reads})").format(
    guns=GUNS, reads=READS_BY_TAG.format(cond=sql.SQL("r.location_name = %(point)s"))
)


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
    crossed first, then tag), within the filters.

    The database is asked every time; when it returns the same rows as the last time
    these arguments (and an equal roster) were asked, the last answer is the answer
    (:class:`p88.store.queries.memo.Remembered`), and no runner is timed again."""
    key = (session_id, point, sex, age_group, limit)
    answer = yield from _REMEMBERED.run(
        key, roster, lambda: _rank(session_id, point, roster, sex, age_group, limit)
    )
    return list(answer)


def _rank(
    session_id: int,
    point: str,
    roster: Roster,
    sex: str | None,
    age_group: str | None,
    limit: int,
) -> Plan[list[PointStanding]]:
    rows = yield Query(_POINT_READS, {"s": session_id, "point": point})
    guns: list[datetime] = next((times for tag, _, times, _ in rows if tag is None), [])
    of = roster.at_point(point, guns)
    filtered = sex is not None or age_group is not None
    found: dict[str, tuple[datetime, int, datetime | None]] = {}  # crossing, read, gun
    for tag, _, times, ids in rows:
        if tag is None or (filtered and not _in_filter(roster, tag, sex, age_group)):
            continue
        gun, rule = of(tag)
        index = cross_point(times, ids, rule, gun, gun)
        if index is not None:
            found[tag] = (times[index], ids[index], gun)
    gunless = {tag: c[0] for tag, c in found.items() if c[2] is None}
    refs = yield from references(session_id, roster, dict.fromkeys(gunless), gunless, point)
    ranked = [
        (tag, at, elapsed(at, gun if gun is not None else refs[tag]))
        for tag, (at, _, gun) in found.items()
    ]
    ranked.sort(key=_rank_key)
    out: list[PointStanding] = []
    leader = ranked[0][2] if ranked else None
    for place, (tag, at, time) in enumerate(ranked[:limit], start=1):
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
                crossed_at=at,
                read_id=found[tag][1],
            )
        )
    return out


def _in_filter(roster: Roster, tag: str, sex: str | None, age_group: str | None) -> bool:
    runner = roster.runners.get(tag)
    if sex is not None and (runner is None or runner.sex != sex):
        return False
    return age_group is None or (runner is not None and runner.age_group == age_group)


def _rank_key(item: tuple[str, datetime, timedelta | None]) -> tuple[Any, ...]:
    tag, at, time = item
    return rank_key(tag, at, time)


def rank_key(tag: str, crossed_at: datetime, time: timedelta | None) -> tuple[Any, ...]:
    """The order of the standings at a point: by time, runners without one last; ties by
    who crossed first, then tag (a live feed ranks one new crossing with it)."""
    return (time is None, time or timedelta(0), crossed_at, tag)
