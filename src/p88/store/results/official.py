"""Making a race's results official, and rescoring after a correction.

``p88 results final`` is the one way results become official: in one transaction the race
is scored with the course closed (runners with reads but no finish are DNF, those with
none DNS), the checks run, and — when none is open, or the crew accepted the open ones —
the race is stamped ``official_at`` / ``official_by`` (migration 016). Refused, nothing
stays written. Every later run (a correction's rescore included) keeps DNF/DNS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from p88.errors import InputError, P88Error, RefusedError, UnknownRace
from p88.store.results.checks import CheckReport, run_checks
from p88.store.results.corrections import Correction, CorrectionRequest, record_correction
from p88.store.results.scoring import ScoreOptions, ScoreSummary, score_race

if TYPE_CHECKING:
    import psycopg

__all__ = ["Corrected", "Official", "correct_result", "make_official"]


@dataclass(frozen=True)
class Official:
    """What ``final`` did: the closing run, the checks, who made it official and when."""

    race_id: int
    official_at: datetime
    official_by: str
    accepted: dict[str, int]
    report: CheckReport
    scoring: ScoreSummary | None


@dataclass(frozen=True)
class Corrected:
    """A recorded correction and the rescoring it caused (None: the race has no session
    to score from, or scoring refused — ``rescore_error`` says why — so it applies at the
    next ``p88 results score``)."""

    correction: Correction
    scoring: ScoreSummary | None
    rescore_error: P88Error | None = None


def _session(conn: psycopg.Connection[Any], race_id: int) -> int | None:
    row = conn.execute("SELECT session_id FROM ct_races WHERE id = %s", (race_id,)).fetchone()
    if row is None:
        raise UnknownRace(race_id)
    return row[0] if row[0] is not None else None


def correct_result(
    conn: psycopg.Connection[Any], race_id: int, request: CorrectionRequest
) -> Corrected:
    """Record a correction, then rescore the race so its standings include it. The
    correction stays recorded when the rescoring is refused (points not set yet, reads on
    the wrong date): it applies at the next run that succeeds."""
    correction = record_correction(conn, race_id, request)
    if _session(conn, race_id) is None:
        return Corrected(correction, None)
    try:
        return Corrected(correction, score_race(conn, race_id))
    except P88Error as exc:
        return Corrected(correction, None, exc)


def make_official(
    conn: psycopg.Connection[Any], race_id: int, *, by: str, accept: bool = False
) -> Official:
    """Close the course, run the checks and stamp the race official; RefusedError (and
    nothing written) while a check is open, unless ``accept``."""
    if not by.strip():
        raise InputError("who makes the results official? (--by)", where="--by")
    with conn.transaction():
        scoring = None
        if _session(conn, race_id) is not None:
            scoring = score_race(conn, race_id, options=ScoreOptions(final=True))
        report = run_checks(conn, race_id)
        opened = {c.name: c.count for c in report.open}
        if opened and not accept:
            listed = ", ".join(f"{c.title} ({c.count})" for c in report.open)
            raise RefusedError(
                f"race {race_id} is not official: open checks: {listed}; see p88 results "
                f"check --race {race_id}, correct them, or accept them with --accept",
                rule="open-checks",
            )
        row = conn.execute(
            "UPDATE ct_races SET official_at = now(), official_by = %s, official_open = %s"
            " WHERE id = %s RETURNING official_at",
            (by.strip()[:64], json.dumps(opened) if opened else None, race_id),
        ).fetchone()
        assert row is not None
    return Official(race_id, row[0], by.strip()[:64], opened, report, scoring)
