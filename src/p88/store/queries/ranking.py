"""Ranking a live point one batch at a time, by the rule of ``point_standings``.

A live display gets reads in batches; most are more reads of crossings already made. For
each batch :func:`new_crossings` finds the crossings it made (scoring's rule, on the reads
of those runners only), and :func:`ranked_into` places them among the point's standings
kept between batches in a :class:`Ranking`, so a busy finish is not ranked whole again for
every read. :func:`p88.store.queries.crossings.crossings` uses both.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from psycopg import sql

from p88.store.queries.board import PointStanding, rank_key
from p88.store.queries.plan import Plan, Query
from p88.store.queries.timing import GUNS, Roster, elapsed, first_crossing, references
from p88.store.results.crossings import Read

__all__ = ["Ranking", "new_crossings", "ranked_into"]


@dataclass
class Ranking:
    """One point's standings between live batches, as rank keys (``board.rank_key``).

    A live feed keeps one per point and passes it to :func:`crossings` with each batch:
    the first batch ranks the whole point (``point_standings``) and fills it; later ones
    rank only their new crossings into it (a runner's key changes only with their own
    reads). The feed drops it when the roster is re-read; a changed set of gun events
    makes :func:`crossings` rebuild it."""

    guns: tuple[datetime, ...] = ()
    keys: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    ordered: list[tuple[Any, ...]] = field(default_factory=list)
    ready: bool = False

    def fill(self, guns: Sequence[datetime], standings: Sequence[PointStanding]) -> None:
        self.guns = tuple(guns)
        self.keys = {s.bib: rank_key(s.bib, s.crossed_at, s.time) for s in standings}
        self.ordered = sorted(self.keys.values())
        self.ready = True

    def place(self, tag: str, key: tuple[Any, ...]) -> int:
        """Put ``tag`` at ``key`` (moving it if it was ranked) and return its place."""
        old = self.keys.get(tag)
        if old is not None:
            del self.ordered[bisect_left(self.ordered, old)]
        self.keys[tag] = key
        insort(self.ordered, key)
        return bisect_left(self.ordered, key) + 1

    def leader(self) -> timedelta | None:
        first = self.ordered[0] if self.ordered else None
        return first[1] if first is not None and not first[0] else None


def new_crossings(
    session_id: int, point: str, roster: Roster, ids: set[int]
) -> Plan[tuple[dict[str, Read], list[datetime]]]:
    """The crossings of ``point`` that one of ``ids`` times (by tag), and the session's
    guns: the same rule as ``point_standings``, on the reads of those runners only
    (cheap), so the whole point is ranked only when a batch made a new crossing."""
    tags = yield Query(
        sql.SQL(
            "SELECT DISTINCT tag_code FROM timing_reads WHERE id = ANY(%(ids)s)"
            " AND session_id = %(s)s AND location_name = %(point)s"
        ),
        {"s": session_id, "point": point, "ids": sorted(ids)},
    )
    if not tags:
        return {}, []
    # by tag (its index), not a join: a semi-join here was planned as a nested loop
    rows = yield Query(
        sql.SQL(
            "SELECT r.tag_code, r.id, r.read_timestamp, {guns} FROM timing_reads r"
            " WHERE r.tag_code = ANY(%(tags)s) AND r.session_id = %(s)s"
            " AND r.location_name = %(point)s ORDER BY r.tag_code, r.read_timestamp, r.id"
        ).format(guns=GUNS),
        {"s": session_id, "point": point, "tags": [t[0] for t in tags]},
    )
    if not rows:
        return {}, []
    guns: list[datetime] = rows[0][3]
    by_tag: dict[str, list[Read]] = {}
    for tag, read_id, ts, _ in rows:
        by_tag.setdefault(tag, []).append(Read(ts, read_id, point))
    runner_guns = roster.guns_for(by_tag, guns)
    new: dict[str, Read] = {}
    for tag, reads in by_tag.items():
        crossing = first_crossing(reads, roster.rule_for(tag, point), runner_guns[tag])
        if crossing is not None and crossing.id in ids:
            new[tag] = crossing
    return new, guns


def ranked_into(
    session_id: int, point: str, roster: Roster, new: dict[str, Read], guns: list[datetime],
    ranking: Ranking,
) -> Plan[list[PointStanding]]:  # fmt: skip
    """New crossings as standings, placed among the point's ``ranking`` (updated)."""
    runner_guns = roster.guns_for(new, guns)
    refs = yield from references(session_id, roster, runner_guns, new)
    out: list[PointStanding] = []
    for tag, crossing in new.items():
        time = elapsed(crossing.ts, refs[tag])
        place = ranking.place(tag, rank_key(tag, crossing.ts, time))
        runner = roster.runners.get(tag)
        leader = ranking.leader()
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
