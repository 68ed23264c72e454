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

from bisect import bisect_left, bisect_right
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

_ZERO = timedelta(0)


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


def crossings(times: Sequence[datetime], lo: int, dead_time: timedelta) -> list[tuple[int, int]]:
    """Sorted read times from index ``lo`` split into crossings, as ``(first, end)`` index
    ranges: a read within the dead time of a crossing's first read belongs to that
    crossing."""
    out = []
    n = len(times)
    while lo < n:
        hi = bisect_right(times, times[lo] + dead_time, lo + 1)
        out.append((lo, hi))
        lo = hi
    return out


def start_crossing(starts: Sequence[datetime], later: datetime | None) -> int:
    """Which start-mat crossing (by the times of their first reads) starts the runner (the
    trade's rule): the last one before the runner's first read at a later point; with no
    later read yet, the last one so far. A runner who walks over the mat to the corral
    and then starts with the gun is timed from the second crossing."""
    pick = len(starts) - 1
    if later is not None:
        while pick > 0 and starts[pick] >= later:
            pick -= 1
    return pick


def cross_point(
    times: Sequence[datetime],
    ids: Sequence[int],
    rule: PointRule,
    gun: datetime | None,
    reference: datetime | None,
    *,
    later: datetime | None = None,
    start_rule: str = "last_before",
    verdicts: list[tuple[int, str, str, str]] | None = None,
) -> int | None:
    """The index of the read that times a runner's crossing of ``rule``'s point, or
    ``None`` when no read counts: the one crossing rule that scoring, the point standings
    of ``p88 serve`` and the TUI all apply.

    ``times`` and ``ids`` are the runner's reads at the point, sorted by time then id.
    Reads before ``gun`` never count; a crossing at a point that is not the start counts
    once its read is at least the point's minimum after ``reference`` (the runner's start:
    their start-mat crossing, else their gun); on the start mat, ``start_rule`` picks the
    crossing (:func:`start_crossing` given ``later``, the runner's first read at a later
    point; or 'first').

    With ``verdicts``, every read of the point gets its verdict and reason appended there
    (scoring stores them); without, the same decision is made with no text built, and no
    crossing after the counted one is looked at (a live screen re-ranks every runner of
    a point on each read)."""
    loc = rule.location
    first = bisect_left(times, gun) if gun is not None else 0
    if verdicts is not None and first and gun is not None:
        why = f"before the gun at {clock_text(gun)}"
        verdicts += [(ids[i], loc, BEFORE_GUN, why) for i in range(first)]
    kind = rule.kind
    take_last = (rule.read_choice or ("last" if kind == "start" else "first")) == "last"
    groups = crossings(times, first, rule.dead_time)
    pick = 0
    if kind == "start" and start_rule == "last_before" and len(groups) > 1:
        pick = start_crossing([times[lo] for lo, _ in groups], later)
    counted: int | None = None
    for index, (lo, hi) in enumerate(groups):
        when = hi - 1 if take_last else lo
        if index < pick:
            if verdicts is not None:
                chosen = groups[pick]
                again = times[chosen[1] - 1 if take_last else chosen[0]]
                why = f"crossed the start again at {clock_text(again)} before running on"
                verdicts += [(ids[i], loc, EARLIER, why) for i in range(lo, hi)]
            continue
        if counted is not None:
            if verdicts is None:
                break
            why = f"{rule.kind} already crossed at {clock_text(times[counted])}"
            verdicts += [(ids[i], loc, LATER, why) for i in range(lo, hi)]
            continue
        if kind != "start" and reference is not None:
            elapsed = times[when] - reference
            if elapsed < rule.min_elapsed or elapsed < _ZERO:
                if verdicts is not None:
                    why = (
                        f"{_span(elapsed)} after the start, under the {_span(rule.min_elapsed)} "
                        f"minimum for {loc}"
                        if elapsed >= _ZERO
                        else f"before the runner's start at {clock_text(reference)}"
                    )
                    verdicts += [(ids[i], loc, TOO_EARLY, why) for i in range(lo, hi)]
                continue
        counted = when
        if verdicts is not None:
            at = clock_text(times[when])
            verdicts.append(
                (ids[when], loc, USED, f"{rule.kind} at {at} ({rule.choice} of {hi - lo} reads)")
            )
            why = f"same {rule.kind} crossing as {at} (dead time {_span(rule.dead_time)})"
            verdicts += [(ids[i], loc, SAME, why) for i in range(lo, hi) if i != when]
    return counted


def time_entry(
    reads: dict[str, list[Read]],
    rules: Sequence[PointRule],
    gun: datetime | None,
    start_rule: str = "last_before",
) -> Timing:
    """Time one runner from their reads at each point (``rules`` in course order), with a
    verdict for every read (:func:`cross_point` at each point).

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
        times = [r.ts for r in mine]
        ids = [r.id for r in mine]
        index = cross_point(
            times,
            ids,
            rule,
            gun,
            reference,
            later=later,
            start_rule=start_rule,
            verdicts=t.verdicts,
        )
        if index is None:
            continue
        when = times[index]
        if rule.kind == "start":
            t.start = when
            reference = when
        elif rule.kind == "finish":
            t.finish = when
        if rule.kind != "start":
            t.splits[rule.location] = (when, ids[index])
    if t.finish is not None and t.start is None:
        has_start_point = any(r.kind == "start" for r in rules)
        if gun is None:
            t.notes.append("finish read but no start read and no gun time: no time")
        elif has_start_point:
            t.notes.append("no start read: chip time from the gun")
    return t
