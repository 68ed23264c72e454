"""From what a person typed (``p88 results correct`` flags) to a correction request.

Exactly one action per correction; each value is checked here (a penalty, a hand time
``POINT=HH:MM:SS.hh``, a ``--from`` time) and the rest against the race by
:func:`p88.store.results.corrections.check_request`. Every refusal is an ``InputError``
naming the flag, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from p88.errors import InputError
from p88.store.results.corrections import CorrectionRequest, race_window
from p88.store.results.races import race_day
from p88.units import parse_clock, parse_duration

if TYPE_CHECKING:
    import psycopg

__all__ = ["CorrectionFlags", "parse_penalty", "race_moment", "request_from_flags"]


@dataclass(frozen=True, kw_only=True)
class CorrectionFlags:
    """The flags of one ``p88 results correct`` command, as typed."""

    bib: str
    reason: str | None
    made_by: str
    dq: bool = False
    dnf: bool = False
    dns: bool = False
    clear: bool = False
    penalty: str | None = None
    time: str | None = None
    swap: str | None = None
    tag: str | None = None
    valid_from: str | None = None
    undo: int | None = None

    def actions(self) -> list[str]:
        given = {
            "--dq": self.dq, "--dnf": self.dnf, "--dns": self.dns, "--clear": self.clear,
            "--penalty": self.penalty is not None, "--time": self.time is not None,
            "--swap": self.swap is not None, "--tag": self.tag is not None,
            "--undo": self.undo is not None,
        }  # fmt: skip
        return [flag for flag, on in given.items() if on]


def parse_penalty(text: str) -> timedelta:
    """A duration (``30s``, ``2m``, ``0:01:30``); a leading '-' makes it a bonus."""
    value = text.strip()
    sign = -1 if value.startswith("-") else 1
    try:
        size = parse_duration(value.lstrip("+-"), where="--penalty")
    except InputError as exc:
        raise InputError(
            f"--penalty {text!r}: {exc.message} (-30s is a bonus)", what="penalty",
            where="--penalty",
        ) from None  # fmt: skip
    if not size:
        raise InputError("--penalty must not be zero", what="penalty", where="--penalty")
    return size * sign


def race_moment(text: str, day: date, anchor: datetime | None, where: str) -> datetime:
    """A time a person typed: a time of day (``HH:MM:SS[.hh]``) on the race's day, or an
    ISO date-time.

    A clock more than 12 hours before ``anchor`` (the gun) is on the next day, as reads
    roll over midnight: 00:10:10 after a 23:45 gun is the morning after."""
    try:
        clock = parse_clock(text, where=where)
    except InputError:
        try:
            return datetime.fromisoformat(text.strip()).replace(tzinfo=None)
        except ValueError:
            raise InputError(
                f"{where} {text!r}: use HH:MM:SS.hh (or YYYY-MM-DDTHH:MM:SS)", what="time",
                where=where,
            ) from None  # fmt: skip
    moment = datetime.combine(day, clock.replace(tzinfo=None))
    if anchor is not None and anchor - moment > timedelta(hours=12):
        moment += timedelta(days=1)
    return moment


def request_from_flags(
    conn: psycopg.Connection[Any], race_id: int, flags: CorrectionFlags
) -> CorrectionRequest:
    """The request the flags describe; InputError for none or several actions, or a
    value that does not parse."""
    actions = flags.actions()
    if len(actions) != 1:
        raise InputError(
            "give exactly one of --dq, --dnf, --dns, --penalty, --time, --swap, --tag, --clear,"
            f" --undo ({'got ' + ', '.join(actions) if actions else 'got none'})",
            what="action",
        )
    if flags.valid_from is not None and flags.tag is None:
        raise InputError("--from goes with --tag (the time the runner started wearing it)")
    common: dict[str, Any] = {
        "bib": flags.bib.strip(), "reason": (flags.reason or "").strip(), "made_by": flags.made_by
    }  # fmt: skip
    if not common["reason"]:
        raise InputError("a correction needs --reason TEXT: say why", where="--reason")
    action = actions[0].removeprefix("--")
    if action in ("dq", "dnf", "dns", "clear"):
        return CorrectionRequest(action=action, **common)  # type: ignore[arg-type]
    if action == "penalty":
        assert flags.penalty is not None
        return CorrectionRequest(action="penalty", penalty=parse_penalty(flags.penalty), **common)
    if action == "swap":
        return CorrectionRequest(action="swap", other_bib=(flags.swap or "").strip(), **common)
    if action == "undo":
        return CorrectionRequest(action="undo", undoes=flags.undo, **common)
    day, scheduled = race_day(conn, race_id)
    window = race_window(conn, race_id)
    anchor = window[0] if window else scheduled  # the gun: a clock before it is past midnight
    if action == "tag":
        at = race_moment(flags.valid_from, day, anchor, "--from") if flags.valid_from else None
        return CorrectionRequest(action="tag", tag=(flags.tag or "").strip(), at=at, **common)
    point, sep, clock = (flags.time or "").partition("=")
    if not sep or not point.strip() or not clock.strip():
        raise InputError(
            f"--time {flags.time!r}: use POINT=HH:MM:SS.hh, e.g. FINISH=08:42:10.25",
            what="time", where="--time",
        )  # fmt: skip
    at = race_moment(clock, day, anchor, "--time")
    return CorrectionRequest(action="time", point=point.strip(), at=at, **common)
