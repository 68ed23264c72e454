"""A race's results as RunSignUp ``full-results`` rows, and which of them changed.

One row per entry that has something to say: a finish, a status or a split. It matches
the runner by ``registration_id`` (entries pulled from RunSignUp), ``bib_num`` and
``chip_num``; an entry RunSignUp does not know (a walk-up imported from a file) also
carries ``first_name``/``last_name``, which the documentation requires when no
registrant matches. Times are ``H:MM:SS.hh``; ``DNF``/``DNS``/``DQ`` stand in for the
clock and chip time. A split is ``split-<id>``: left out when unknown (RunSignUp keeps
a blank split), ``"X"`` when a split sent before has gone (RunSignUp clears it).

Assumed: RunSignUp keeps one result per registrant in a result set, so a row matched to a
registrant updates that registrant's result (the documented split merge, "separate
computers posting splits versus the finish", relies on it). The documentation also
offers ``result_id`` for editing a result; p88 does not send it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

from p88.units import elapsed_text

CLEAR = "X"
STATUS_TIMES = ("DNF", "DNS", "DQ")
IDENTITY = ("registration_id", "bib_num", "chip_num", "first_name", "last_name")


def clock_text(d: timedelta) -> str:
    """'1:02:03.45': hours, minutes, seconds and hundredths, as results sites show them
    (truncated, as timing does: ``p88.units.elapsed_text``)."""
    return elapsed_text(d)


@dataclass(frozen=True)
class SplitPoint:
    """A split timing point of the race, as declared to RunSignUp."""

    name: str
    distance_m: int | None


def split_points(conn: psycopg.Connection[Any], race_id: int) -> list[SplitPoint]:
    """The race's split points (not start or finish), in course order."""
    rows = conn.execute(
        "SELECT location_name, distance_m FROM ct_race_points "
        "WHERE race_id = %s AND kind = 'split' ORDER BY seq, distance_m NULLS LAST, location_name",
        (race_id,),
    ).fetchall()
    return [SplitPoint(name, dist) for name, dist in rows]


def current_rows(
    conn: psycopg.Connection[Any], race_id: int, provider: str, split_ids: dict[str, str]
) -> dict[int, dict[str, Any]]:
    """Entry id -> the row RunSignUp should hold for it now (without clears).

    ``split_ids`` maps a point name to its field name (``split-<id>``); splits at other
    points are not sent.
    """
    splits: dict[int, dict[str, str]] = {}
    if split_ids:
        for result_id, point, elapsed in conn.execute(
            "SELECT result_id, point, elapsed FROM ct_splits "
            "WHERE race_id = %s AND point = ANY(%s)",
            (race_id, list(split_ids)),
        ).fetchall():
            splits.setdefault(result_id, {})[split_ids[point]] = clock_text(elapsed)
    # Registrations are matched here rather than joined: right after a bulk pull the table
    # has no statistics yet and the planner's nested loop took a minute at 20,000 rows.
    regs = dict(
        conn.execute(
            "SELECT result_id, registration_id FROM sync_registrations "
            "WHERE race_id = %s AND provider = %s AND result_id IS NOT NULL",
            (race_id, provider),
        ).fetchall()
    )
    rows: dict[int, dict[str, Any]] = {}
    for rid, bib, tag, status, chip, gun, first, last in conn.execute(
        """
        SELECT r.id, r.bib, r.tag_code, r.status, r.chip_time, r.gun_time,
               p.first_name, p.last_name
        FROM ct_results r JOIN ct_participants p ON p.id = r.participant_id
        WHERE r.race_id = %s
        """,
        (race_id,),
    ).fetchall():
        reg = regs.get(rid)
        row: dict[str, Any] = {}
        if status in STATUS_TIMES:
            row["clock_time"] = row["chip_time"] = status
        elif chip is not None or gun is not None:
            row["clock_time"] = clock_text(gun if gun is not None else chip)
            row["chip_time"] = clock_text(chip if chip is not None else gun)
        row.update(splits.get(rid, {}))
        if not row:
            continue
        row["bib_num"] = bib
        if tag:
            row["chip_num"] = tag
        if reg is not None:
            row["registration_id"] = reg
        else:
            row["first_name"], row["last_name"] = first, last
        rows[rid] = row
    return rows


def changed_rows(
    now: dict[int, dict[str, Any]], held: dict[int, dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """The rows to send: new or different from what RunSignUp holds, with "X" for gone splits.

    An entry that has nothing left to say (its only splits withdrawn by a rescore) is sent
    with its identity and "X" for those splits. A clock or chip time cannot be withdrawn
    through ``full-results`` (the documentation names no way), so it stays until the
    final result set replaces the preliminary one.
    """
    out: dict[int, dict[str, Any]] = {}
    for rid, row in now.items():
        before = held.get(rid)
        if before == row:
            continue
        send = dict(row)
        for key in before or {}:
            if key.startswith("split-") and key not in row:
                send[key] = CLEAR
        out[rid] = send
    for rid, before in held.items():
        gone = [k for k in before if k.startswith("split-")]
        if rid not in now and gone:
            out[rid] = {**identity(before), **dict.fromkeys(gone, CLEAR)}
    return out


def identity(row: dict[str, Any]) -> dict[str, Any]:
    """The fields of a row that say who it is, without any time."""
    return {k: v for k, v in row.items() if k in IDENTITY}
