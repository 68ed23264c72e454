"""Runners coming up: who the announcer will see at the finish next, and when.

One rule for the web announcer view and the TUI's announcer tab: a runner is *coming up*
when they have crossed a point before the finish (a split with a known distance) and not
the finish yet. Their finish is projected from their pace so far, even pace to the end:

    projected elapsed = elapsed at their latest split x course distance / split distance
    projected finish  = their split crossing + (projected elapsed - elapsed at the split)

The list is in order of projected arrival. A runner whose projection is more than
``stale`` before the session's latest crossing (they stopped, or walk) drops off, so a
runner who left the course does not hold the top of the list for the rest of the race.
A runner *leads their division* (sex and age group) when no one of that division crossed
their latest split in a faster time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from p88.store.queries.crossings import Crossing, crossings
from p88.store.queries.locations import default_point
from p88.store.queries.plan import Plan
from p88.store.queries.timing import Roster
from p88.units import truncate

__all__ = ["ComingUp", "coming_up"]

COMING_UP = 10
STALE = timedelta(minutes=10)


@dataclass(frozen=True)
class ComingUp:
    """A runner on their way to the finish: their latest split crossing and projection."""

    crossing: Crossing
    projected_elapsed: timedelta
    projected_at: datetime
    division_leader: bool


def coming_up(
    session_id: int,
    roster: Roster,
    *,
    finish: str | None = None,
    limit: int = COMING_UP,
    stale: timedelta = STALE,
) -> Plan[list[ComingUp]]:
    """The next ``limit`` runners to reach ``finish`` (else the session's default point),
    in order of projected arrival (see the module doc)."""
    finish = finish or default_point(list(roster.locations))
    if finish is None:
        return []
    every = yield from crossings(session_id, roster)
    if not every:
        return []
    now = max(c.at for c in every)
    finished = {c.tag for c in every if c.point == finish}
    latest: dict[str, Crossing] = {}
    best: dict[tuple[str, str | None], timedelta] = {}
    for c in every:
        if c.point == finish or not _projectable(c):
            continue
        assert c.elapsed is not None
        key = (c.point, c.division)
        if c.division is not None and (key not in best or c.elapsed < best[key]):
            best[key] = c.elapsed
        if c.tag not in finished and (c.tag not in latest or c.at >= latest[c.tag].at):
            latest[c.tag] = c
    out: list[ComingUp] = []
    for c in latest.values():
        assert c.elapsed is not None and c.distance_m and c.course_m
        projected = truncate(c.elapsed * (c.course_m / c.distance_m))
        arrives = c.at + (projected - c.elapsed)
        if arrives < now - stale:
            continue
        leader = c.division is not None and best.get((c.point, c.division)) == c.elapsed
        out.append(ComingUp(c, projected, arrives, leader))
    out.sort(key=lambda u: (u.projected_at, u.crossing.bib))
    return out[:limit]


def _projectable(c: Crossing) -> bool:
    """A split crossing a finish can be projected from: a time and a distance short of
    the course."""
    return (
        c.elapsed is not None
        and c.elapsed > timedelta(0)
        and c.distance_m is not None
        and c.course_m is not None
        and 0 < c.distance_m < c.course_m
    )
