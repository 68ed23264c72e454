"""From one runner's reads to their crossings and times: pure, no database.

Every read gets a verdict, so nothing is dropped silently:

    used            the read that times a point's crossing
    same_crossing   another read of that crossing (within the point's dead time)
    later_crossing  a crossing after the one that counted at that point
    earlier_crossing  a start crossing before the one that counted (the walk to the corral)
    too_early       sooner after the runner's start than the point's minimum (or before it)
    before_gun      before the runner's gun or wave start
    unknown_tag     no entry of the race carries this tag     (decided by the caller)
    ambiguous_tag   several entries carry this tag             (decided by the caller)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from p88.store.results.points import PointRule
from p88.units import clock_text, elapsed_text

USED = "used"
SAME = "same_crossing"
LATER = "later_crossing"
EARLIER = "earlier_crossing"
TOO_EARLY = "too_early"
BEFORE_GUN = "before_gun"
UNKNOWN_TAG = "unknown_tag"
AMBIGUOUS_TAG = "ambiguous_tag"


@dataclass(frozen=True, order=True)
class Read:
    """A read as scoring sees it; ordering is by time, then id."""

    ts: datetime
    id: int
    location: str


@dataclass
class Timing:
    """One runner's crossings, and a verdict for each of their reads."""

    start: datetime | None = None
    finish: datetime | None = None
    splits: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    verdicts: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, loc, v, why
    notes: list[str] = field(default_factory=list)

    @property
    def reads_used(self) -> int:
        return sum(1 for v in self.verdicts if v[2] == USED)


def _span(d: timedelta) -> str:
    """'0:05:00': a window or an early crossing, to the second (truncated)."""
    return elapsed_text(d, digits=0)


def crossings(reads: Sequence[Read], rule: PointRule) -> list[list[Read]]:
    """Sorted reads split into crossings: a read within the dead time of a crossing's
    first read belongs to that crossing."""
    out: list[list[Read]] = []
    for r in reads:
        if out and r.ts - out[-1][0].ts <= rule.dead_time:
            out[-1].append(r)
        else:
            out.append([r])
    return out


def start_crossing(groups: Sequence[Sequence[Read]], later: datetime | None) -> int:
    """Which start-mat crossing starts the runner (the trade's rule): the last one before
    the runner's first read at a later point; with no later read yet, the last one so far.
    A runner who walks over the mat to the corral and then starts with the gun is timed
    from the second crossing."""
    pick = len(groups) - 1
    if later is not None:
        while pick > 0 and groups[pick][0].ts >= later:
            pick -= 1
    return pick


def time_entry(
    reads: dict[str, list[Read]],
    rules: Sequence[PointRule],
    gun: datetime | None,
    start_rule: str = "last_before",
) -> Timing:
    """Time one runner from their reads at each point (``rules`` in course order).

    ``start_rule`` 'last_before' starts the runner at :func:`start_crossing`; 'first'
    at their first start crossing."""
    t = Timing()
    reference: datetime | None = gun
    later = min(
        (r.ts for rule in rules if rule.kind != "start" for r in reads.get(rule.location, ())
         if gun is None or r.ts >= gun),
        default=None,
    )  # fmt: skip
    for rule in rules:
        mine = sorted(reads.get(rule.location, ()))
        if not mine:
            continue
        if gun is not None:
            early = [r for r in mine if r.ts < gun]
            for r in early:
                t.verdicts.append(
                    (r.id, rule.location, BEFORE_GUN, f"before the gun at {clock_text(gun)}")
                )
            mine = mine[len(early) :]
        counted: datetime | None = None
        groups = crossings(mine, rule)
        pick = (
            start_crossing(groups, later)
            if rule.kind == "start" and start_rule == "last_before" and groups
            else 0
        )
        for index, group in enumerate(groups):
            when = group[0] if rule.choice == "first" else group[-1]
            if index < pick:
                chosen = groups[pick]
                again = chosen[0] if rule.choice == "first" else chosen[-1]
                why = f"crossed the start again at {clock_text(again.ts)} before running on"
                t.verdicts += [(r.id, rule.location, EARLIER, why) for r in group]
                continue
            if counted is not None:
                why = f"{rule.kind} already crossed at {clock_text(counted)}"
                t.verdicts += [(r.id, rule.location, LATER, why) for r in group]
                continue
            if rule.kind != "start" and reference is not None:
                elapsed = when.ts - reference
                if elapsed < rule.min_elapsed or elapsed < timedelta(0):
                    why = (
                        f"{_span(elapsed)} after the start, under the {_span(rule.min_elapsed)} "
                        f"minimum for {rule.location}"
                        if elapsed >= timedelta(0)
                        else f"before the runner's start at {clock_text(reference)}"
                    )
                    t.verdicts += [(r.id, rule.location, TOO_EARLY, why) for r in group]
                    continue
            counted = when.ts
            t.verdicts.append(
                (
                    when.id,
                    rule.location,
                    USED,
                    f"{rule.kind} at {clock_text(when.ts)} ({rule.choice} of {len(group)} reads)",
                )
            )
            window = _span(rule.dead_time)
            why = f"same {rule.kind} crossing as {clock_text(when.ts)} (dead time {window})"
            t.verdicts += [(r.id, rule.location, SAME, why) for r in group if r is not when]
            if rule.kind == "start":
                t.start = when.ts
                reference = when.ts
            elif rule.kind == "finish":
                t.finish = when.ts
            if rule.kind != "start":
                t.splits[rule.location] = (when.ts, when.id)
    if t.finish is not None and t.start is None:
        has_start_point = any(r.kind == "start" for r in rules)
        if gun is None:
            t.notes.append("finish read but no start read and no gun time: no time")
        elif has_start_point:
            t.notes.append("no start read: chip time from the gun")
    return t
