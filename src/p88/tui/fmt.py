"""How times and counts look on the leaderboard: race-clock style, to the tenth.

The rules are ``p88.units``' (truncated, never rounded); this module only picks the
leaderboard's shape: hours only past the hour, one decimal, empty text for no value.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from p88.units import age_text, clock_text, elapsed_text, pace_text


def clock(at: datetime | None) -> str:
    """Time of day to the hundredth, as the controller stamped it: ``08:01:02.35``."""
    return "" if at is None else clock_text(at)


def due(at: datetime | None) -> str:
    """A projected time of day, to the second (a projection has no hundredths): ``10:29:30``."""
    return clock(at).partition(".")[0]


def elapsed(value: timedelta | None, *, digits: int = 1) -> str:
    """A race time: ``1:02:03.4`` past the hour, ``25:13.4`` under it (truncated)."""
    return "" if value is None else elapsed_text(value, digits=digits, compact=True)


def pace(value: timedelta | None) -> str:
    """A pace per mile, to the second: ``7:15/mi``; empty without a distance."""
    return "" if value is None else pace_text(value)


def gap(value: timedelta | None) -> str:
    """Behind the leader: ``+0:12.3``; the leader (and a tie) shows ``—``."""
    if value is None:
        return ""
    if value <= timedelta(0):
        return "—"
    return "+" + elapsed(value)


def ago(then: datetime | None, now: datetime) -> str:
    """``4s ago``, ``3m 05s ago``, ``2h 10m ago``, ``3d 04h ago``; ``never`` without a read."""
    return "never" if then is None else age_text(now - then) + " ago"


def count(value: int) -> str:
    """Thousands separated: ``12,345``."""
    return f"{value:,}"
