"""The gun that applies to a runner, and the time since it: the one rule for every screen.

Scoring, ``p88 serve``'s leaderboard, the TUI and the CLI all call these, so a runner of a
wave shows the same time and place on the page, in the terminal and in the results.
Pure: the gun events and the race's settings are read by the callers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from p88.units import truncate

GUN_MATCH = timedelta(hours=1)


def pick_race_gun(
    guns: Sequence[datetime], scheduled: datetime | None
) -> tuple[datetime | None, str]:
    """A race's gun among a session's gun events (sorted): the one nearest the race's start
    time, within an hour, when the race has one; the session's first when it has none;
    else the race's start time itself. Returns the gun and where it came from."""
    if guns and scheduled is None:
        return guns[0], "first gun event of the session"
    if guns and scheduled is not None:
        nearest = min(guns, key=lambda g: abs(g - scheduled))
        if abs(nearest - scheduled) <= GUN_MATCH:
            return nearest, "gun event nearest the race's start time"
    if scheduled is not None:
        return scheduled, "the race's start time"
    return None, "none: chip times need start reads"


def runner_gun(
    race_gun: datetime | None, waves: Mapping[str, datetime], wave: str | None
) -> datetime | None:
    """The gun of one runner: their wave's start when the race gives it one, else the
    race's gun."""
    return waves.get(wave, race_gun) if wave else race_gun


def elapsed(at: datetime, gun: datetime | None) -> timedelta | None:
    """Time from the runner's gun to ``at``, truncated to the hundredth as timing does
    (``p88.units.truncate``); ``None`` without a gun."""
    return truncate(at - gun) if gun is not None else None
