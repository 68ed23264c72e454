"""``p88 demo`` as a library call: the whole of p88's main job in one process, on loopback.

Migrate the database, start a real listener on a free loopback port, simulate a race,
replay it into the listener over real TCP (the full CTP01 handshake, at high speed),
stop the listener once every line is committed, and report what the store now holds.
Each run writes its own session (``p88-demo-<timestamp>``), so it can run again and
again on the same database; the reads are dated today so the live views show them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from p88.listener import Listener, ListenOptions
from p88.protocol.client import ClientOptions
from p88.protocol.feed import Feed
from p88.protocol.replay import ReplayConfig, replay
from p88.sim.course import build_course
from p88.sim.files import simulate
from p88.sim.plan import new_connection_id
from p88.store import connect, migrate

Progress = Callable[[int, int], None]
Clients = list[tuple[list[Feed], ClientOptions]]


@dataclass
class DemoResult:
    """What the demo did and what the store holds afterwards."""

    session: str
    session_id: int
    runners: int
    port: int
    lines_sent: int
    reads_stored: int
    gun_events: int
    finishers: int
    replay_s: float
    total_s: float
    by_location: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.lines_sent / self.replay_s if self.replay_s > 0 else 0.0


async def _tick(feeds: list[Feed], total: int, progress: Progress) -> None:
    while True:
        progress(sum(f.sent_upto for f in feeds), total)
        await asyncio.sleep(0.1)


async def _run(
    url: str, session: str, clients: Clients, speed: float | None, progress: Progress | None
) -> tuple[int, int, float]:
    with tempfile.TemporaryDirectory(prefix="p88-demo-spool-") as spool:
        listener = Listener(url, ListenOptions(spool_dir=Path(spool), port=0, session=session))
        stop, ready = asyncio.Event(), asyncio.Event()
        serving = asyncio.create_task(listener.run(stop, ready=ready))
        await asyncio.wait(
            {serving, asyncio.create_task(ready.wait())}, return_when=asyncio.FIRST_COMPLETED
        )
        if serving.done():
            serving.result()  # raises the listener's error
        assert listener.server is not None
        port = listener.server.bound_port
        feeds = [f for group, _ in clients for f in group]
        ticker = (
            asyncio.create_task(_tick(feeds, sum(len(f) for f in feeds), progress))
            if progress
            else None
        )
        started = time.monotonic()
        try:
            summary = await replay(
                clients, ReplayConfig("127.0.0.1", port, speed=speed, linger_s=0.3)
            )
        finally:
            if ticker:
                ticker.cancel()
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
        if progress:
            progress(summary.lines, summary.lines)
        return port, summary.lines, time.monotonic() - started


def run_demo(
    url: str,
    *,
    runners: int = 3000,
    seed: int = 1,
    speed: float | None = None,
    progress: Progress | None = None,
) -> DemoResult:
    """Run the whole demo against ``url``; ``progress(sent, total)`` is called as it goes."""
    began = time.monotonic()
    with connect(url, autocommit=True) as conn:
        migrate(conn)
    course = build_course("START,5K,FINISH", "10K", "3", date.today(), "07:30:00")
    race = simulate(course, runners, seed)
    session = datetime.now().strftime("p88-demo-%Y%m%d-%H%M%S")
    options = ClientOptions(
        new_connection_id(),
        event_name=session,
        event_description=f"p88 demo: {runners} simulated runners, seed {seed}",
    )
    logging.getLogger("p88.listen").setLevel(logging.WARNING)
    port, sent, replay_s = asyncio.run(
        _run(url, session, [(race.feeds("iso"), options)], speed, progress)
    )
    with connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT id FROM timing_sessions WHERE session_name = %s", (session,)
        ).fetchone()
        sid = int(row[0]) if row else 0
        by_loc = conn.execute(
            "SELECT location_name, count(*), count(DISTINCT tag_code) FROM timing_reads"
            " WHERE session_id = %s GROUP BY 1 ORDER BY min(read_timestamp)",
            (sid,),
        ).fetchall()
        guns = conn.execute(
            "SELECT count(*) FROM timing_gun_events WHERE session_id = %s", (sid,)
        ).fetchone()
    finishers = next((tags for loc, _, tags in by_loc if loc == "FINISH"), 0)
    return DemoResult(
        session=session,
        session_id=sid,
        runners=runners,
        port=port,
        lines_sent=sent,
        reads_stored=sum(n for _, n, _ in by_loc),
        gun_events=int(guns[0]) if guns else 0,
        finishers=finishers,
        replay_s=replay_s,
        total_s=time.monotonic() - began,
        by_location=[(str(loc), int(n), int(t)) for loc, n, t in by_loc],
    )
