"""Live scoring: score a race again as reads arrive (``p88 results score --every/--follow``).

Each run is an ordinary :func:`score_race`, so a live scorer and a later ``--full`` agree.
With ``follow`` the loop wakes on the listener's NOTIFY (``p88_reads``, sent when a batch
of reads commits) for the race's session, at most every ``every`` seconds, and otherwise
scores every ``every`` seconds. Points are re-read (or re-proposed) on every run, so a
point whose reads start after the scorer did (the finish, a split) is picked up; while
no points can be told, each run reports why and the loop waits. A finisher stays a
finisher: later reads only re-time the runner they belong to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from p88.store.live import CHANNEL, ReadsCommitted
from p88.store.results.points import PointsNotReady
from p88.store.results.scoring import ScoreOptions, ScoreSummary, score_race

if TYPE_CHECKING:
    import psycopg

__all__ = ["follow_race"]

TICK = 0.5  # seconds between looks at the stop flag while waiting


def follow_race(
    conn: psycopg.Connection[Any],
    race_id: int,
    session_id: int | None,
    options: ScoreOptions,
    *,
    every: float,
    runs: int = 0,
    listen: psycopg.Connection[Any] | None = None,
    report: Callable[[ScoreSummary], None] = lambda s: None,
    waiting: Callable[[str], None] = lambda text: None,
    stop: threading.Event | None = None,
) -> int:
    """Score ``race_id`` again and again until ``runs`` runs (0: until interrupted).

    ``listen``: an autocommit connection to LISTEN on, to wake as soon as reads commit
    (``--follow``); without it the loop just sleeps ``every`` seconds. ``options``'
    points and overrides are set by the first run; later runs use what is stored.
    ``stop`` (set by the CLI's Ctrl-C handler) ends the loop between runs, never inside
    one. Returns the number of scoring runs made.
    """
    halt = stop or threading.Event()
    done = 0
    opts = options
    session = session_id
    if listen is not None:
        from psycopg import sql

        listen.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
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
        _wait(listen, session, every, halt)
        if halt.is_set():
            return done


def _wait(
    listen: psycopg.Connection[Any] | None,
    session: int | None,
    every: float,
    halt: threading.Event,
) -> None:
    """Wait ``every`` seconds, or with ``listen`` until reads of ``session`` commit (but
    not sooner than a tenth of ``every``, so a busy listener does not score per batch);
    looks at ``halt`` at least every ``TICK`` seconds."""
    started = time.monotonic()
    deadline = started + every
    woken = False
    while not woken and not halt.is_set() and (left := deadline - time.monotonic()) > 0:
        if listen is None:
            halt.wait(min(left, TICK))
            continue
        for note in listen.notifies(timeout=min(left, TICK)):
            try:
                event = ReadsCommitted.decode(note.payload)
            except (ValueError, KeyError):
                continue
            if session is None or session in event.session_ids:
                woken = True
                break
    rest = every / 10 - (time.monotonic() - started)
    if rest > 0:
        halt.wait(rest)
