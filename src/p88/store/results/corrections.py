"""Corrections to a race's results: recorded, one row each, never edited in place.

A person DQs a runner, sets a DNF or DNS by hand, gives a time penalty (or bonus), types
in a hand time for a missed read, records that two runners wore each other's bibs or that
a runner wears another chip from a given time, clears a held result, or takes one of
these back. :func:`record_correction` checks the request against the race and appends a
row to ``ct_result_corrections`` (migration 016); nothing is written when it is refused.
Scoring applies the rows that are not undone
(:func:`p88.store.results.corrections_apply.apply_corrections`), so rescoring gives the
reads plus the corrections, and :func:`correction_history` is the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from p88.errors import InputError, UnknownRace
from p88.store.results import points as pts
from p88.store.results.flags import MAX_CHIP
from p88.store.results.sessionreads import race_gun
from p88.store.results.settings import load_settings
from p88.units import duration_json, elapsed_text

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "ACTIONS",
    "Correction",
    "CorrectionRequest",
    "correction_history",
    "record_correction",
]

Action = Literal["dq", "dnf", "dns", "penalty", "time", "swap", "tag", "clear", "undo"]
ACTIONS: tuple[Action, ...] = (
    "dq",
    "dnf",
    "dns",
    "penalty",
    "time",
    "swap",
    "tag",
    "clear",
    "undo",
)
STATUS_ACTIONS = {"dq": "DQ", "dnf": "DNF", "dns": "DNS"}


@dataclass(frozen=True, kw_only=True)
class CorrectionRequest:
    """What a person asks for: one action on one bib, and why. ``made_by`` is who."""

    bib: str
    action: Action
    reason: str
    made_by: str
    penalty: timedelta | None = None
    point: str | None = None
    at: datetime | None = None
    other_bib: str | None = None
    tag: str | None = None
    undoes: int | None = None


@dataclass(frozen=True, kw_only=True)
class Correction:
    """A recorded correction; ``undone_by`` is the id of the undo that took it back."""

    id: int
    race_id: int
    bib: str
    action: Action
    penalty: timedelta | None
    point: str | None
    at: datetime | None
    other_bib: str | None
    tag: str | None
    undoes: int | None
    reason: str
    made_by: str
    made_at: datetime
    undone_by: int | None = None

    @property
    def active(self) -> bool:
        return self.action != "undo" and self.undone_by is None

    def what(self) -> str:
        """The correction in a few words, as the history prints it."""
        if self.action in STATUS_ACTIONS:
            return STATUS_ACTIONS[self.action]
        if self.action == "penalty" and self.penalty is not None:
            bonus = self.penalty < timedelta(0)
            return f"penalty {'-' if bonus else '+'}{elapsed_text(abs(self.penalty))}" + (
                " (bonus)" if bonus else ""
            )
        if self.action == "time":
            return f"time at {self.point}: {self.at}"
        if self.action == "swap":
            return f"bib swap with {self.other_bib}"
        if self.action == "tag":
            return f"tag {self.tag}" + (f" from {self.at}" if self.at else "")
        if self.action == "clear":
            return "cleared a held result"
        return f"undo #{self.undoes}"

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id, "race_id": self.race_id, "bib": self.bib, "action": self.action,
            "what": self.what(),
            "penalty": duration_json(self.penalty) if self.penalty is not None else None,
            "point": self.point, "at": self.at.isoformat() if self.at else None,
            "other_bib": self.other_bib, "tag": self.tag, "undoes": self.undoes,
            "reason": self.reason, "made_by": self.made_by, "made_at": self.made_at.isoformat(),
            "undone_by": self.undone_by, "active": self.active,
        }  # fmt: skip


def race_window(conn: psycopg.Connection[Any], race_id: int) -> tuple[datetime, datetime] | None:
    """From the race's gun to the course's close (the cutoff, else 24 h): where a hand
    time can fall. None when the race has neither a gun event nor a start time."""
    row = conn.execute(
        "SELECT session_id, start_time FROM ct_races WHERE id = %s", (race_id,)
    ).fetchone()
    assert row is not None
    session, scheduled = row
    gun = race_gun(conn, session, scheduled)[0] if session is not None else scheduled
    if gun is None:
        return None
    return gun, gun + (load_settings(conn, race_id).cutoff or MAX_CHIP)


def _race(conn: psycopg.Connection[Any], race_id: int) -> tuple[date, datetime | None]:
    row = conn.execute(
        "SELECT e.event_date, r.start_time FROM ct_races r JOIN ct_events e ON e.id = r.event_id"
        " WHERE r.id = %s",
        (race_id,),
    ).fetchone()
    if row is None:
        raise UnknownRace(race_id)
    return row[0], row[1]


def _registered(conn: psycopg.Connection[Any], race_id: int, bib: str, where: str) -> None:
    if not conn.execute(
        "SELECT 1 FROM ct_results WHERE race_id = %s AND bib = %s", (race_id, bib)
    ).fetchone():
        raise InputError(
            f"bib {bib} is not registered in race {race_id}", what="bib", where=where,
            hint="p88 results import adds participants",
        )  # fmt: skip


def check_request(conn: psycopg.Connection[Any], race_id: int, req: CorrectionRequest) -> None:
    """Refuse (InputError) a request that cannot be right; say what is wrong."""
    _race(conn, race_id)
    if req.action not in ACTIONS:
        raise InputError(f"unknown correction {req.action!r}", what="action")
    if not req.reason.strip():
        raise InputError("a correction needs --reason TEXT: say why", where="--reason")
    if not req.made_by.strip():
        raise InputError("a correction needs who made it (--by)", where="--by")
    _registered(conn, race_id, req.bib, "--bib")
    if req.action == "penalty" and not req.penalty:
        raise InputError("--penalty must not be zero", what="penalty", where="--penalty")
    if req.action == "swap":
        if not req.other_bib or req.other_bib == req.bib:
            raise InputError("--swap needs another runner's bib", where="--swap")
        _registered(conn, race_id, req.other_bib, "--swap")
    if req.action == "tag" and (not req.tag or len(req.tag) > 16):
        raise InputError(f"--tag {req.tag!r}: a tag is 1 to 16 characters", where="--tag")
    if req.action == "time":
        _check_time(conn, race_id, req)
    if req.action == "clear":
        row = conn.execute(
            "SELECT status FROM ct_results WHERE race_id = %s AND bib = %s", (race_id, req.bib)
        ).fetchone()
        if row is None or row[0] != "review":
            raise InputError(
                f"bib {req.bib} is not held for review (status {row[0] if row else None}): "
                "nothing to clear", what="bib", where="--clear",
            )  # fmt: skip
    if req.action == "undo":
        _check_undo(conn, race_id, req)


def _check_time(conn: psycopg.Connection[Any], race_id: int, req: CorrectionRequest) -> None:
    names = [r.location for r in pts.load(conn, race_id)]
    if req.point not in names:
        raise InputError(
            f"--time {req.point}=...: no point {req.point!r} in race {race_id} "
            f"(its points: {', '.join(names) or 'none set: p88 results points'})",
            what="point", where="--time",
        )  # fmt: skip
    window = race_window(conn, race_id)
    if window is None:
        raise InputError(
            f"race {race_id} has no gun time or start time, so a hand time cannot be checked",
            where="--time", hint="set the race's start (p88 results new-race --start)",
        )  # fmt: skip
    assert req.at is not None
    if not window[0] <= req.at <= window[1]:
        raise InputError(
            f"--time {req.point}={req.at}: outside race {race_id}'s window "
            f"{window[0]} to {window[1]} (the gun to the course's close)",
            what="time", where="--time",
        )  # fmt: skip


def _check_undo(conn: psycopg.Connection[Any], race_id: int, req: CorrectionRequest) -> None:
    row = conn.execute(
        "SELECT c.bib, c.other_bib, c.action, u.id FROM ct_result_corrections c"
        " LEFT JOIN ct_result_corrections u ON u.undoes = c.id AND u.action = 'undo'"
        " WHERE c.id = %s AND c.race_id = %s",
        (req.undoes, race_id),
    ).fetchone()
    if row is None:
        raise InputError(
            f"no correction #{req.undoes} in race {race_id} (p88 results history lists them)",
            what="correction", where="--undo",
        )  # fmt: skip
    bib, other, action, undone = row
    if action == "undo":
        raise InputError(
            f"correction #{req.undoes} is an undo: make the correction again instead",
            where="--undo",
        )
    if undone is not None:
        raise InputError(
            f"correction #{req.undoes} is already undone (by #{undone})", where="--undo"
        )
    if req.bib not in (bib, other):
        raise InputError(
            f"correction #{req.undoes} is for bib {bib}, not {req.bib}", where="--undo"
        )


def record_correction(
    conn: psycopg.Connection[Any], race_id: int, req: CorrectionRequest
) -> Correction:
    """Check ``req`` and append it to the race's corrections; returns the row written."""
    with conn.transaction():
        # one writer per race at a time: two undos of one correction cannot both pass
        conn.execute("SELECT id FROM ct_races WHERE id = %s FOR UPDATE", (race_id,))
        check_request(conn, race_id, req)
        row = conn.execute(
            "INSERT INTO ct_result_corrections (race_id, event_id, partner_id, bib, action,"
            " penalty, point, at, other_bib, tag_code, undoes, reason, made_by)"
            " SELECT id, event_id, partner_id, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s"
            " FROM ct_races WHERE id = %s RETURNING id",
            (req.bib, req.action, req.penalty, req.point, req.at, req.other_bib, req.tag,
             req.undoes, req.reason.strip(), req.made_by.strip()[:64], race_id),
        ).fetchone()  # fmt: skip
        assert row is not None
    return next(c for c in correction_history(conn, race_id) if c.id == row[0])


def correction_history(conn: psycopg.Connection[Any], race_id: int) -> list[Correction]:
    """Every correction of the race, oldest first, each with the undo that took it back."""
    _race(conn, race_id)
    rows = conn.execute(
        "SELECT id, race_id, bib, action, penalty, point, at, other_bib, tag_code, undoes,"
        " reason, made_by, made_at FROM ct_result_corrections WHERE race_id = %s ORDER BY id",
        (race_id,),
    ).fetchall()
    undone = {r[9]: r[0] for r in rows if r[3] == "undo"}
    return [
        Correction(
            id=r[0],
            race_id=r[1],
            bib=r[2],
            action=r[3],
            penalty=r[4],
            point=r[5],
            at=r[6],
            other_bib=r[7],
            tag=r[8],
            undoes=r[9],
            reason=r[10],
            made_by=r[11],
            made_at=r[12],
            undone_by=undone.get(r[0]),
        )  # fmt: skip
        for r in rows
    ]
