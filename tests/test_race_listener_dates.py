"""The listener dates dateless reads by its session, not by its own clock (issue 15).

`p88 listen --time-format normal` receives the midnight race (tests/midnight_race.py)
from `p88 replay` over real sockets, with the listener's zone and the machine's zone
anywhere from UTC-10 to UTC+13: every read is stored on the session's date and rolls
over midnight with the race's clock. A resend days later, from a new connection id to a
restarted listener, stores nothing twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from p88.listener import Listener, ListenOptions
from p88.protocol.replay import ReplayConfig, ReplaySummary, replay
from p88.sim.plan import plan_clients
from tests import midnight_race as mr

ZONES = ["Pacific/Honolulu", "America/New_York", "UTC", "Asia/Kolkata", "Pacific/Tongatapu"]


@pytest.fixture
def machine_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set this process's local zone (TZ) for a test, and put it back afterwards."""

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


@asynccontextmanager
async def listening(url: str, spool: Path, **options: Any) -> AsyncIterator[Listener]:
    listener = Listener(url, ListenOptions(spool_dir=spool, port=0, **options))
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(listener.run(stop, ready=ready))
    await asyncio.wait_for(ready.wait(), 20)
    try:
        yield listener
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def send(
    url: str, spool: Path, paths: Sequence[Path], time_format: str = "normal", **options: Any
) -> ReplaySummary:
    async with listening(url, spool, time_format=time_format, **options) as lis:
        assert lis.server is not None
        plan = plan_clients(paths, day0=mr.DAY, bad_lines=[])
        config = ReplayConfig("127.0.0.1", lis.server.bound_port, speed=None, linger_s=0.2)
        return await asyncio.wait_for(replay(plan, config), 60)


def stored(conn: psycopg.Connection[Any], session: str, expected: int) -> list[Any]:
    deadline = time.monotonic() + 10
    while True:
        rows = conn.execute(
            "SELECT location_name, tag_code, read_timestamp FROM timing_reads r JOIN"
            " timing_sessions s ON s.id = r.session_id WHERE s.session_name = %s ORDER BY 1, 2, 3",
            (session,),
        ).fetchall()
        if len(rows) >= expected or time.monotonic() > deadline:
            return [tuple(r) for r in rows]
        time.sleep(0.05)


@pytest.mark.parametrize("fmt", ["normal", "iso"])
@pytest.mark.parametrize("zone", ZONES)
def test_listener_rolls_over_midnight_on_the_session_date_in_any_zone(
    zone: str,
    fmt: str,
    db_url: str,
    conn: psycopg.Connection[Any],
    tmp_path: Path,
    machine_zone: Any,
) -> None:
    """Normal times on the session's date, rolled over midnight; ISO times as written.
    The listener asks the client for the file's own format, so lines go out verbatim."""
    machine_zone(ZONES[(ZONES.index(zone) + 2) % len(ZONES)])  # the laptop's zone differs too
    conn.execute(
        "INSERT INTO timing_sessions (session_name, session_date) VALUES ('nye', %s)", (mr.DAY,)
    )
    paths = mr.write_files(tmp_path / "files", fmt)
    asyncio.run(send(db_url, tmp_path / "spool", paths, fmt, session="nye", timezone=zone))
    want = mr.expected_reads()
    assert stored(conn, "nye", len(want)) == want
    (gun,) = conn.execute("SELECT gun_timestamp FROM timing_gun_events").fetchone()  # type: ignore[misc]
    assert gun == mr.GUN


def test_a_new_session_is_dated_once_and_a_later_resend_stores_nothing_twice(
    db_url: str,
    conn: psycopg.Connection[Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    machine_zone: Any,
) -> None:
    machine_zone("Pacific/Tongatapu")
    day = date(2026, 3, 1)
    monkeypatch.setattr(Listener, "_today", lambda self: day)
    paths = mr.write_files(tmp_path / "files")
    asyncio.run(send(db_url, tmp_path / "spool", paths, session="fresh", timezone="UTC"))
    shift = datetime.combine(day, datetime.min.time()) - datetime.combine(
        mr.DAY, datetime.min.time()
    )
    want = [(loc, tag, ts + shift) for loc, tag, ts in mr.expected_reads()]
    assert stored(conn, "fresh", len(want)) == want
    assert conn.execute(
        "SELECT session_date FROM timing_sessions WHERE session_name = 'fresh'"
    ).fetchone() == (day,)
    # Three days later a restarted listener (its own "today" moved on) gets the whole
    # session again from a new connection id: every read is already there.
    monkeypatch.setattr(Listener, "_today", lambda self: day + timedelta(days=3))
    again = asyncio.run(send(db_url, tmp_path / "spool2", paths, session="fresh", timezone="UTC"))
    assert again.lines == len(want) + 1  # every line went out again (the gun too)
    time.sleep(0.5)
    assert stored(conn, "fresh", len(want)) == want
