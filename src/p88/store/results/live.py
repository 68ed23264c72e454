"""Continuous scoring: ``p88 results follow`` (and ``p88 serve --score``, ``score --follow``).

:func:`follow_results` is the one loop. It wakes on the listener's NOTIFY through
:func:`p88.store.live.follow` (the one LISTEN/reconnect loop), and on every (re)connect,
and runs :func:`~p88.store.results.live_step.score_step` until nothing new is left: each
step scores only the runners whose reads arrived, re-places only what changed and
announces the changed results on ``p88_results``. Notifications that arrive while a step
runs are folded into the next one, so a busy listener costs one step per batch at most.

Only one follower scores a race: :class:`Scorer` holds a PostgreSQL advisory lock
(``FOLLOW_KEY``, the race id) on its connection; a second follower refuses with one line
(:class:`RaceFollowed`) or, asked to wait, waits for the lock. The position it scores
from is in the database, so a follower restarted, or one whose database went away and
came back (it retries with a growing pause, saying so), carries on from the last commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from p88.errors import RefusedError
from p88.store.live import Connected, Disconnected, ReadsCommitted, follow, reason
from p88.store.results import points as pts
from p88.store.results.live_step import NoPoints, StepSummary, Strays, score_step
from p88.store.results.scoring import _load_race

__all__ = [
    "FOLLOW_KEY",
    "Background",
    "RaceFollowed",
    "Scorer",
    "check_followable",
    "follow_results",
]

FOLLOW_KEY = 8_861_163  # advisory lock namespace: one follower per race
SAFETY_S = 10.0  # a step even without a notification (a missed NOTIFY costs at most this)
RETRY_S: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)
LOCK_POLL_S = 1.0


class RaceFollowed(RefusedError):
    """Another follower holds the race's lock (exit 4; ``--wait`` waits for it instead)."""

    def __init__(self, race_id: int, holder: str) -> None:
        super().__init__(
            f"race {race_id} is already followed by {holder}: one follower per race",
            rule="one-follower",
            hint="stop it, or pass --wait to take over when it stops",
        )


@dataclass
class Scorer:
    """The follower's writing side: its own connection, the race lock, and the steps.

    Synchronous (psycopg); the async loop runs its methods in a worker thread."""

    url: str
    race_id: int
    session_id: int | None = None
    application_name: str = "p88 results follow"
    conn: psycopg.Connection[Any] | None = None
    strays: Strays | None = None

    @property
    def who(self) -> str:
        return f"{self.application_name} (pid {os.getpid()} on {socket.gethostname()})"

    def open(self, *, wait: bool = False) -> None:
        """Connect and take the race's lock; :class:`RaceFollowed` when another has it
        (unless ``wait``: then poll until it is free)."""
        if self.conn is not None:
            return
        conn = psycopg.connect(
            self.url,
            autocommit=True,
            connect_timeout=3,
            application_name=self.application_name,
            # each step's queries are prepared after a few runs; a generic plan cannot see
            # that "id > position" is the last few hundred reads of a table of a million
            options="-c plan_cache_mode=force_custom_plan",
        )
        try:
            check_followable(conn, self.race_id)
            while True:
                row = conn.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", (FOLLOW_KEY, self.race_id)
                ).fetchone()
                if row and row[0]:
                    break
                if not wait:
                    raise RaceFollowed(self.race_id, _holder(conn, self.race_id))
                conn.execute("SELECT pg_sleep(%s)", (LOCK_POLL_S,))
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        self.strays = Strays()

    def step(self) -> StepSummary:
        """One step; opens the connection (and takes the lock, waiting) when needed."""
        if self.conn is None:
            self.open(wait=True)
        assert self.conn is not None
        return score_step(
            self.conn, self.race_id, self.session_id, strays=self.strays, follower=self.who
        )

    def close(self) -> None:
        """Drop the connection (the lock goes with it)."""
        if self.conn is not None:
            with contextlib.suppress(psycopg.Error, OSError):
                self.conn.close()
        self.conn = None


def check_followable(conn: psycopg.Connection[Any], race_id: int) -> None:
    """Refuse, before anything starts, a race that cannot be followed: one that does not
    exist ("no race N"), or one with no timing points stored (:class:`NoPoints`)."""
    _load_race(conn, race_id)
    if not pts.load(conn, race_id):
        raise NoPoints(race_id)


def _holder(conn: psycopg.Connection[Any], race_id: int) -> str:
    """Who holds the race's follower lock, as one phrase."""
    row = conn.execute(
        "SELECT a.application_name, a.pid, a.client_addr, a.backend_start FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
        "AND l.classid = %s AND l.objid = %s AND l.objsubid = 2 AND l.granted",
        (FOLLOW_KEY, race_id),
    ).fetchone()
    if row is None:
        return "another follower"
    where = f" from {row[2]}" if row[2] else ""
    return f"{row[0] or 'another client'} (server pid {row[1]}{where}, since {row[3]:%H:%M:%S})"


async def follow_results(
    url: str,
    race_id: int,
    *,
    session_id: int | None = None,
    wait: bool = False,
    report: Callable[[StepSummary], None] = lambda s: None,
    notice: Callable[[str], None] = lambda text: None,
    stop: asyncio.Event | None = None,
    safety_s: float = SAFETY_S,
    application_name: str = "p88 results follow",
) -> None:
    """Score ``race_id`` continuously until ``stop`` is set (or the task is cancelled).

    Refuses at once (before waiting for anything) a race with no stored points
    (:class:`~p88.store.results.live_step.NoPoints`) and, unless ``wait``, a race another
    follower holds (:class:`RaceFollowed`). ``report`` gets every step that did something;
    ``notice`` one line when the database goes away, comes back, or the lock is awaited.
    """
    scorer = Scorer(url, race_id, session_id, application_name)
    if wait:
        notice(f"waiting for race {race_id}'s follower lock")
    await asyncio.to_thread(scorer.open, wait=wait)
    stop = stop or asyncio.Event()
    wake = asyncio.Event()
    wake.set()
    feed = follow(url, application_name=f"{application_name} listen")
    listening = asyncio.create_task(_listen(feed, scorer, wake, notice))
    stopping = asyncio.create_task(stop.wait())
    attempt = 0
    try:
        while not stop.is_set():
            if not wake.is_set():
                waiter = asyncio.create_task(wake.wait())
                await asyncio.wait(
                    {waiter, stopping}, timeout=safety_s, return_when="FIRST_COMPLETED"
                )
                waiter.cancel()
                if stop.is_set():
                    break
            wake.clear()
            try:
                summary = await asyncio.to_thread(scorer.step)
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                attempt += 1
                scorer.close()
                feed.lost(exc)
                if attempt == 1:
                    notice(f"database unavailable, retrying: {reason(exc)}")
                await asyncio.sleep(RETRY_S[min(attempt, len(RETRY_S)) - 1])
                wake.set()
                continue
            if attempt:
                notice("database back: scoring resumed from the last committed position")
                attempt = 0
            scorer.session_id = summary.session_id
            if summary.full or summary.new_reads or summary.changed:
                report(summary)
    finally:
        listening.cancel()
        stopping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
        scorer.close()


async def _listen(
    feed: Any, scorer: Scorer, wake: asyncio.Event, notice: Callable[[str], None]
) -> None:
    down = False
    async for event in feed:
        if isinstance(event, Disconnected):
            if not down:
                notice(f"live updates paused: {event.reason}")
            down = True
        elif isinstance(event, Connected):
            down = False
            wake.set()
        elif isinstance(event, ReadsCommitted):
            if scorer.session_id is None or scorer.session_id in event.session_ids:
                wake.set()


class Background:
    """:func:`follow_results` on a thread of its own (its own event loop), for a program
    that runs another loop (``p88 tui --score``) or none. ``error`` holds what ended it
    early (a refusal such as :class:`RaceFollowed`), if anything did."""

    def __init__(self, url: str, race_id: int, **options: Any) -> None:
        import threading

        self.error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run, args=(url, race_id, options), name="p88-follow", daemon=True
        )

    def _run(self, url: str, race_id: int, options: dict[str, Any]) -> None:
        async def main() -> None:
            self._stop = asyncio.Event()
            await follow_results(url, race_id, stop=self._stop, **options)

        try:
            self._loop.run_until_complete(main())
        except BaseException as exc:  # kept for the caller: the thread has no one else
            self.error = exc
        finally:
            self._loop.close()

    def start(self) -> Background:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to end between steps, and wait for it."""
        if self._thread.is_alive() and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
