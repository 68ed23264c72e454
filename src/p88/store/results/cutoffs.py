"""Cut-offs per timing point: a runner past a point's cut-off is DNF, and the note says why.

A split may close a set time after the gun (the runner's wave start, when they have one):
``p88 results points --cutoff 30K=4:30:00``. Three ways to be past it, each judged from
the reads alone, so a live follower and a full rescore agree:

* the runner crossed the point after it closed;
* the runner has no read at the point but one further on (a missed mat): their crossing
  is estimated between the points either side, by distance, and judged by that estimate
  (no estimate without distances: the runner gets the benefit of the doubt);
* the runner has started, has no read at the point or beyond, and the race clock (the
  latest read of the session, :func:`race_clock`) has passed the cut-off.

A runner with no counted read has not started: never DNF by a cut-off (``--final`` makes
them DNS). :func:`clock_candidates` finds the runners whose verdict the clock alone can
change, so an incremental run re-times exactly those as the clock passes a cut-off.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from psycopg import sql

from p88.store.queries.plan import Plan, Query, run
from p88.store.results.crossings import Timing
from p88.store.results.points import PointRule
from p88.units import clock_text, elapsed_text

if TYPE_CHECKING:
    import psycopg

__all__ = ["clock_candidates", "clock_plan", "cutoff_note", "estimated_crossing", "race_clock"]


def _span(d: timedelta) -> str:
    return elapsed_text(d, digits=0)


def estimated_crossing(
    timing: Timing, rules: Sequence[PointRule], index: int, gun: datetime
) -> datetime | None:
    """When the runner passed ``rules[index]`` though its mat did not read them: between
    their last crossing before it (or their start, at 0 m) and their first after it, in
    proportion to the distances. None when that cannot be told (a distance missing, no
    crossing after the point)."""
    point = rules[index]
    if point.distance_m is None:
        return None
    before: tuple[int, datetime] = (0, timing.start or gun)
    for rule in rules[:index]:
        got = timing.splits.get(rule.location)
        if got is not None and rule.distance_m is not None:
            before = (rule.distance_m, got[0])
    for rule in rules[index + 1 :]:
        got = timing.splits.get(rule.location)
        if got is None or rule.distance_m is None:
            continue
        d0, t0 = before
        if rule.distance_m <= d0:
            return None
        share = (point.distance_m - d0) / (rule.distance_m - d0)
        return t0 + (got[0] - t0) * share
    return None


def cutoff_note(
    timing: Timing, rules: Sequence[PointRule], gun: datetime | None, clock: datetime | None
) -> str | None:
    """The reason this runner is DNF under a point's cut-off, or None (``gun``: the runner's
    gun or wave start; ``clock``: the race clock, None when unknown)."""
    if gun is None or timing.reads_used == 0:
        return None
    for index, rule in enumerate(rules):
        if rule.cutoff is None:
            continue
        closes = gun + rule.cutoff
        limit = f"cut-off {_span(rule.cutoff)} after the gun, {clock_text(closes)}"
        got = timing.splits.get(rule.location)
        if got is not None:
            if got[0] > closes:
                return (
                    f"past the {rule.location} cut-off: crossed at {clock_text(got[0])} ({limit})"
                )
            continue
        later = [r for r in rules[index + 1 :] if r.location in timing.splits]
        if later:
            guess = estimated_crossing(timing, rules, index, gun)
            if guess is not None and guess > closes:
                return (
                    f"past the {rule.location} cut-off: no read there, estimated at "
                    f"{clock_text(guess)} from the points either side ({limit})"
                )
            continue
        if clock is not None and clock > closes:
            return f"not at {rule.location} by its cut-off ({limit})"
    return None


def clock_plan(session_id: int | None) -> Plan[datetime | None]:
    """The race clock: the latest read of the session at any location (the mats' own time,
    so a replay and a live race are judged alike); None before the first read."""
    rows = yield Query(
        sql.SQL("SELECT max(last_read) FROM timing_read_totals WHERE session_id = %(s)s"),
        {"s": session_id},
    )
    return rows[0][0] if rows else None


def race_clock(conn: psycopg.Connection[Any], session_id: int) -> datetime | None:
    """:func:`clock_plan` on a connection."""
    return run(conn, clock_plan(session_id))


_CANDIDATES = """
SELECT DISTINCT coalesce(r.tag_code, r.bib)
FROM ct_results r
LEFT JOIN ct_race_waves w
    ON w.race_id = r.race_id AND w.wave = r.wave AND w.start_time IS NOT NULL
WHERE r.race_id = %(race)s AND r.status IS NULL
  AND coalesce(w.start_time, %(gun)s) + %(cutoff)s < %(clock)s
  AND (r.start_time IS NOT NULL OR EXISTS (SELECT 1 FROM ct_splits s WHERE s.result_id = r.id))
  AND NOT EXISTS (SELECT 1 FROM ct_splits s WHERE s.result_id = r.id AND s.point = ANY(%(on)s))
"""


def clock_candidates(
    conn: psycopg.Connection[Any],
    race_id: int,
    rules: Sequence[PointRule],
    gun: datetime | None,
    clock: datetime | None,
) -> list[str]:
    """Tags of runners still without a status whose cut-off the clock has passed, though
    no read of theirs says so yet: re-timed, they become DNF. Runners seen at the point or
    beyond are not here (their reads decide, not the clock)."""
    if clock is None:
        return []
    found: set[str] = set()
    for index, rule in enumerate(rules):
        if rule.cutoff is None:
            continue
        on = [r.location for r in rules[index:] if r.kind != "start"]
        rows = conn.execute(
            _CANDIDATES,
            {"race": race_id, "gun": gun, "cutoff": rule.cutoff, "clock": clock, "on": on},
        ).fetchall()
        found.update(r[0] for r in rows)
    return sorted(found)
