"""p88 replay into p88's real listener: real sockets, real PostgreSQL, real captures.

Every read of the capture stored (in both time formats), pacing at --speed 10, two
replays at once, pull mode, and a listener killed with SIGKILL mid-replay and restarted: the replay
reconnects with its connection id, the listener asks it to resume from what was
committed, and every read is stored exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date
from datetime import time as dtime
from pathlib import Path
from typing import Any

import psycopg

from p88.listener import Listener, ListenOptions
from p88.protocol.replay import ReplayConfig, ReplaySummary, replay
from p88.sim.plan import plan_clients

DAY = date(2024, 12, 14)
NORMAL = "mini11992-2024-12-14.ct33"
ISO = "mini11992-2024-12-14.iso.ct33"


@asynccontextmanager
async def listening(url: str, spool: Path, **options: Any) -> AsyncIterator[Listener]:
    """A real listener on a free loopback port, stopped (and flushed) on exit."""
    listener = Listener(url, ListenOptions(spool_dir=spool, port=0, **options))
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(listener.run(stop, ready=ready))
    await asyncio.wait_for(ready.wait(), 20)
    try:
        yield listener
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _replay(port: int, paths: Sequence[Path], **kw: Any) -> ReplaySummary:
    speed = kw.pop("speed", None)
    plan = plan_clients(paths, day0=DAY, **kw)
    config = ReplayConfig("127.0.0.1", port, speed=speed, linger_s=0.2, give_up_s=15)
    return await asyncio.wait_for(replay(plan, config), 60)


def _reads(conn: psycopg.Connection[Any], session: str) -> tuple[int, int, str, str]:
    row = conn.execute(
        "SELECT count(*), count(DISTINCT (tag_code, read_timestamp, gator_number)),"
        " min(read_timestamp)::text, max(read_timestamp)::text FROM timing_reads r"
        " JOIN timing_sessions s ON s.id = r.session_id WHERE s.session_name = %s",
        (session,),
    ).fetchone()
    assert row is not None
    return row  # type: ignore[return-value]


def test_real_captures_every_read_stored_in_both_time_formats(
    db_url: str, conn: psycopg.Connection[Any], captures_dir: Path, tmp_path: Path
) -> None:
    async def main() -> tuple[ReplaySummary, ReplaySummary]:
        async with listening(db_url, tmp_path / "a", time_format="normal") as lis:
            assert lis.server is not None
            a = await _replay(lis.server.bound_port, [captures_dir / NORMAL], event="normal")
        async with listening(db_url, tmp_path / "b", time_format="iso") as lis:
            assert lis.server is not None
            b = await _replay(lis.server.bound_port, [captures_dir / ISO], event="iso")
        return a, b

    a, b = asyncio.run(main())
    assert a.lines == b.lines == 8859
    assert "time-format=normal" in a.clients[0].settings
    assert "time-format=iso" in b.clients[0].settings
    span = ("2024-12-14 11:05:15.06", "2024-12-14 11:46:58.31")
    assert _reads(conn, "iso") == (8859, 8859, *span)
    # normal times carry no date: the listener puts them on its session date (today)
    count, distinct, first, last = _reads(conn, "normal")
    assert (count, distinct) == (8859, 8859)
    assert first.endswith("11:05:15.06") and last.endswith("11:46:58.31")
    same = conn.execute(
        "SELECT count(*) FROM timing_reads a JOIN timing_reads b ON a.tag_code = b.tag_code"
        " AND a.read_timestamp::time = b.read_timestamp::time AND a.gator_number = b.gator_number"
        " AND a.session_id < b.session_id"
    ).fetchone()
    assert same == (8859,)  # the two replays stored the same reads, line for line


def test_speed_ten_takes_a_tenth_of_the_recorded_span(
    db_url: str, conn: psycopg.Connection[Any], captures_dir: Path, tmp_path: Path
) -> None:
    # A 25-second slice of the race: about 2.5 s at --speed 10.
    plan = plan_clients([captures_dir / NORMAL], day0=DAY, until=dtime(11, 5, 40))
    (feed,) = plan[0][0]
    span = (max(feed.moments) - min(feed.moments)).total_seconds()
    assert 20 < span <= 25

    async def main() -> ReplaySummary:
        async with listening(db_url, tmp_path / "s") as lis:
            assert lis.server is not None
            return await _replay(
                lis.server.bound_port, [captures_dir / NORMAL], until=dtime(11, 5, 40),
                speed=10.0, event="paced",
            )  # fmt: skip

    summary = asyncio.run(main())
    playing = summary.elapsed_s - 0.2  # less the linger after the last line
    assert span / 10 * 0.95 <= playing <= span / 10 + 1.5, (playing, span)
    assert _reads(conn, "paced")[0] == len(feed) == summary.lines


def test_two_replays_at_once(
    db_url: str, conn: psycopg.Connection[Any], captures_dir: Path, tmp_path: Path
) -> None:
    async def main() -> list[ReplaySummary]:
        async with listening(db_url, tmp_path / "t") as lis:
            assert lis.server is not None
            port = lis.server.bound_port
            return await asyncio.gather(
                _replay(port, [captures_dir / NORMAL], event="first"),
                _replay(port, [captures_dir / ISO], event="second"),
                # the same reads again, into the first session: nothing new
                _replay(port, [captures_dir / ISO], event="first"),
            )

    summaries = asyncio.run(main())
    assert [s.lines for s in summaries] == [8859, 8859, 8859]
    assert _reads(conn, "first")[:2] == (8859, 8859)
    assert _reads(conn, "second")[:2] == (8859, 8859)
    streams = conn.execute("SELECT count(*), sum(read_count) FROM client_streams").fetchone()
    assert streams == (3, 8859 * 2)  # three connection ids; the repeat stored nothing


def test_pull_mode_over_a_socket_stores_every_read_once(
    db_url: str, conn: psycopg.Connection[Any], captures_dir: Path, tmp_path: Path
) -> None:
    """p88 listen --stream-mode pull over a real socket: the listener asks with getdata and
    the replay answers only what is asked; the same file again adds nothing."""

    async def main() -> list[ReplaySummary]:
        async with listening(db_url, tmp_path / "p", stream_mode="pull") as lis:
            assert lis.server is not None
            port = lis.server.bound_port
            first = await _replay(port, [captures_dir / NORMAL], event="pulled")
            again = await _replay(port, [captures_dir / NORMAL], event="pulled")
            return [first, again]

    first, again = asyncio.run(main())
    assert first.clients[0].settings.startswith("pull mode"), first.clients[0].settings
    assert first.lines == 8859
    assert _reads(conn, "pulled")[:2] == (8859, 8859)  # every read, each once
    assert again.lines == 8859  # a new replay is a new connection id: it sends everything
    logged = conn.execute(
        "SELECT read_count, duplicate_count FROM connection_log WHERE connection_id IS NOT NULL"
        " ORDER BY connected_at"
    ).fetchall()
    assert logged == [(8859, 0), (0, 8859)]  # the second stream was all duplicates


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listen_process(url: str, port: int, spool: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "P88_DATABASE_URL": url, "P88_CONFIG": str(spool / "none.toml")}
    args = [sys.executable, "-m", "p88", "listen", "--host", "127.0.0.1", "--port", str(port),
            "--spool-dir", str(spool), "--session", "killed"]  # fmt: skip
    with log.open("ab") as fh:
        proc = subprocess.Popen(args, env=env, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        if proc.poll() is not None:
            raise AssertionError(f"p88 listen exited: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("p88 listen did not start")


def test_listener_killed_mid_replay_and_restarted(
    db_url: str, conn: psycopg.Connection[Any], captures_dir: Path, tmp_path: Path
) -> None:
    port, spool, log = _free_port(), tmp_path / "spool", tmp_path / "listen.log"
    spool.mkdir()
    first = _listen_process(db_url, port, spool, log)
    restarted: list[subprocess.Popen[bytes]] = []

    async def kill_and_restart() -> None:
        await asyncio.sleep(1.2)
        first.send_signal(signal.SIGKILL)  # no flush, no goodbye
        first.wait(10)
        await asyncio.sleep(0.5)
        restarted.append(await asyncio.to_thread(_listen_process, db_url, port, spool, log))

    async def main() -> ReplaySummary:
        # Ten busy minutes of the race (about 1,800 reads) at 200x: 3 s, killed at 1.2 s.
        replaying = _replay(
            port, [captures_dir / NORMAL], start=dtime(11, 10), until=dtime(11, 20), speed=200.0
        )
        summary, _ = await asyncio.gather(replaying, kill_and_restart())
        return summary

    try:
        summary = asyncio.run(main())
        time.sleep(0.5)  # the restarted listener commits its last batch
    finally:
        for proc in [first, *restarted]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)
    lines = summary.lines
    assert lines > 1500
    assert summary.clients[0].connections >= 2, summary.clients[0].notes
    count, distinct, _, _ = _reads(conn, "killed")
    assert count == distinct == lines, log.read_text()[-3000:]
    (last_seq,) = conn.execute("SELECT max(last_sequence) FROM client_streams").fetchone()  # type: ignore[misc]
    assert last_seq == summary.feeds[0].lines[-1].seq  # resume position = the last line
