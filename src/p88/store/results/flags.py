"""Flags that hold a result for review instead of publishing it.

A finish whose times cannot be right is not placed: its status is ``review`` and its note
says what looks wrong and what to check. Each rule is one function; :func:`result_flags`
applies them all. The notes that only inform (no start read: chip time from the gun) are
not flags and do not hold a result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from p88.store.results.crossings import Timing
from p88.store.results.points import PointRule
from p88.units import elapsed_text

__all__ = ["FASTEST_MPS", "MAX_CHIP", "result_flags"]

FASTEST_MPS = 6.6  # quicker than world-record pace at any road distance
MAX_CHIP = timedelta(hours=24)


def _span(d: timedelta) -> str:
    return elapsed_text(d, digits=0)


def impossible_pace(chip: timedelta, distance_m: int) -> str | None:
    """Faster than world-record pace over the race distance."""
    if distance_m / max(chip.total_seconds(), 0.01) > FASTEST_MPS:
        return f"impossible time: faster than world-record pace ({_span(chip)} for {distance_m} m)"
    return None


def too_long(chip: timedelta) -> str | None:
    """A chip time over 24 h: reads on the wrong date, most often."""
    if chip > MAX_CHIP:
        return (
            f"chip time {_span(chip)} is over 24 h: check the reads' date (p88 import --date) "
            "and the race's date"
        )
    return None


def finish_before_start(chip: timedelta) -> str | None:
    """A finish before the runner's start (or the gun)."""
    if chip < timedelta(0):
        return f"finish before the start ({_span(chip)}): check the start and finish points"
    return None


def cut_course(timing: Timing, rules: Sequence[PointRule], start: datetime | None) -> str | None:
    """A stretch between two of the runner's crossings run faster than world-record pace:
    a split missed by running short of it, i.e. a cut course."""
    passed = [(0, start)] if start is not None else []
    for rule in rules:
        got = timing.splits.get(rule.location)
        if got is not None and rule.distance_m is not None:
            passed.append((rule.distance_m, got[0]))
    for (d0, t0), (d1, t1) in zip(passed, passed[1:], strict=False):
        if t0 is None or d1 <= d0:
            continue
        seconds = max((t1 - t0).total_seconds(), 0.01)
        if (d1 - d0) / seconds > FASTEST_MPS:
            return (
                f"{d1 - d0} m in {_span(t1 - t0)} between {d0} m and {d1} m is faster than "
                "world-record pace: check for a cut course"
            )
    return None


def after_cutoff(finish: datetime, gun: datetime | None, cutoff: timedelta | None) -> str | None:
    """A finish after the course closed (``ct_race_settings.cutoff`` after the gun)."""
    if cutoff is not None and gun is not None and finish - gun > cutoff:
        return f"finish {_span(finish - gun)} after the gun, past the {_span(cutoff)} cutoff"
    return None


def result_flags(
    timing: Timing,
    chip: timedelta,
    distance_m: int,
    rules: Sequence[PointRule],
    gun: datetime | None,
    cutoff: timedelta | None,
) -> list[str]:
    """Every flag that holds this finish for review (empty: publish it)."""
    whole = impossible_pace(chip, distance_m) if chip > timedelta(0) else None
    found = [
        finish_before_start(chip),
        too_long(chip),
        whole,
        None if whole else cut_course(timing, rules, timing.start or gun),
        after_cutoff(timing.finish, gun, cutoff) if timing.finish else None,
    ]
    return [f for f in found if f]
