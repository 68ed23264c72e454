"""How times and counts look on the leaderboard: race-clock style, to the tenth."""

from __future__ import annotations

from datetime import datetime, timedelta


def clock(at: datetime | None) -> str:
    """Time of day to the hundredth, as the controller stamped it: ``08:01:02.35``."""
    if at is None:
        return ""
    return f"{at:%H:%M:%S}.{at.microsecond // 10_000:02d}"


def elapsed(value: timedelta | None) -> str:
    """A race time: ``1:02:03.4`` past the hour, ``25:13.4`` under it."""
    if value is None:
        return ""
    tenths = round(value.total_seconds() * 10)
    sign = "-" if tenths < 0 else ""
    tenths = abs(tenths)
    seconds, tenth = divmod(tenths, 10)
    minutes, sec = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    if hours:
        return f"{sign}{hours}:{minute:02d}:{sec:02d}.{tenth}"
    return f"{sign}{minute}:{sec:02d}.{tenth}"


def gap(value: timedelta | None) -> str:
    """Behind the leader: ``+0:12.3``; the leader (and a tie) shows ``—``."""
    if value is None:
        return ""
    if value <= timedelta(0):
        return "—"
    return "+" + elapsed(value)


def ago(then: datetime | None, now: datetime) -> str:
    """``4s ago``, ``3m 05s ago``, ``2h 10m ago``, ``3d 04h ago``; ``never`` without a read."""
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s ago"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m ago"
    return f"{seconds // 86400}d {seconds % 86400 // 3600:02d}h ago"


def count(value: int) -> str:
    """Thousands separated: ``12,345``."""
    return f"{value:,}"
