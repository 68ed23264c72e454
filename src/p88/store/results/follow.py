"""Scoring on a timer: ``p88 results score --every N``.

Each run is an ordinary :func:`score_race`, so a timed scorer and a later ``--full`` agree.
Points are re-read (or re-proposed) on every run, so a point whose reads start after the
scorer did (the finish, a split) is picked up; while no points can be told, each run
reports why and the loop waits. A finisher stays a finisher: later reads only re-time the
runner they belong to. Scoring driven by the listener's NOTIFY, a step per batch of reads,
is :func:`p88.store.results.live.follow_results` (``p88 results follow``, ``score --follow``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from p88.store.results.points import PointsNotReady
from p88.store.results.scoring import ScoreOptions, ScoreSummary, score_race

if TYPE_CHECKING:
    import psycopg

__all__ = ["follow_race"]


def follow_race(
    conn: psycopg.Connection[Any],
    race_id: int,
    session_id: int | None,
    options: ScoreOptions,
    *,
    every: float,
    runs: int = 0,
    report: Callable[[ScoreSummary], None] = lambda s: None,
    waiting: Callable[[str], None] = lambda text: None,
    stop: threading.Event | None = None,
) -> int:
    """Score ``race_id`` every ``every`` seconds until ``runs`` runs (0: until interrupted).

    ``options``' points and overrides are set by the first run; later runs use what is
    stored. ``stop`` (set by the CLI's Ctrl-C handler) ends the loop between runs, never
    inside one. Returns the number of scoring runs made.
    """
    halt = stop or threading.Event()
    done = 0
    opts = options
    session = session_id
    while True:
        try:
            summary = score_race(conn, race_id, session, opts)
        except PointsNotReady as exc:
            waiting(f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
        else:
            report(summary)
            session = summary.session_id
            opts = replace(opts, full=False, points=None, age_groups=None)
        done += 1
        if (runs and done >= runs) or halt.is_set():
            return done
        halt.wait(every)
        if halt.is_set():
            return done
