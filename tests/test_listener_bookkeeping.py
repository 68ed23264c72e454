"""What the listener leaves behind (issue 19): one spool file per outage, no connection row
open forever after a SIGKILL, no empty session per start, a reject for an unterminated
5 MB line, and logs that say where a connection's reads went."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from p88.store.ingest_writer import IngestWriter
from p88.store.spool import ReadRow, SessionInfo
from tests.test_listener_outage import _free_port, _start_listener
from tests.test_listener_support import ScriptedClient, options, running, scalar, wait_for

DOWN = "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=1"  # nothing listens


def _read(i: int) -> ReadRow:
    now = datetime.now(UTC)
    return ReadRow("race", "FINISH", f"{1000 + i}", datetime(2026, 6, 7, 9, 0, i % 60), 1, "R1",
                   1, i + 1, "cid", f"line {i}", now)  # fmt: skip


@pytest.fixture(autouse=True)
def _p88_logs_reach_caplog(monkeypatch: pytest.MonkeyPatch) -> None:
    """``p88 listen`` (run in-process by CLI tests) stops p88's logs from propagating."""
    monkeypatch.setattr(logging.getLogger("p88"), "propagate", True)


def test_an_outage_is_one_spool_file_and_one_drain_line(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = IngestWriter(DOWN, tmp_path / "spool", retry_interval=0.05, linger=0.001)
    with caplog.at_level(logging.INFO, logger="p88"):
        writer.start()
        writer.submit(SessionInfo("race"))
        for i in range(40):  # many failed retries while the outage lasts
            writer.submit(_read(i))
            time.sleep(0.03)
        deadline = time.monotonic() + 10
        while writer.backlog < 41 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert writer.backlog == 41
        assert len(list((tmp_path / "spool").glob("spool-*.jsonl"))) == 1
        writer.url = db_url  # the database is back
        writer.submit(_read(40))
        deadline = time.monotonic() + 20
        while writer.stats.committed < 41 and time.monotonic() < deadline:
            time.sleep(0.05)
        writer.stop()
    assert scalar(db_url, "SELECT count(*) FROM timing_reads") == 41
    drains = [r.getMessage() for r in caplog.records if "drained" in r.getMessage()]
    assert len(drains) == 1 and "from 1 spool file" in drains[0], drains
    assert not list((tmp_path / "spool").glob("spool-*.jsonl"))


def test_a_killed_listeners_connection_rows_are_closed_at_the_next_start(
    db_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = {**os.environ, "P88_DATABASE_URL": db_url, "P88_DATA_DIR": str(tmp_path / "data"),
           "P88_CONFIG": str(tmp_path / "p88.toml")}  # fmt: skip
    log = tmp_path / "listen.log"
    proc = _start_listener(port, env, log)
    line = b"CT01_33~1~MINI11992~1234~11:00:00.00~1~0F2A38~1\r\n"
    still_open = "SELECT count(*) FROM connection_log WHERE disconnected_at IS NULL"

    async def client_then_kill() -> None:
        client = ScriptedClient(port, connection_id="victim")
        await client.connect()
        await asyncio.wait_for(client.started.wait(), 10)
        await client.send(line)
        await wait_for(lambda: scalar(db_url, "SELECT count(*) FROM timing_reads") == 1)
        proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(client.closed.wait(), 10)
        await client.close()

    try:
        asyncio.run(client_then_kill())
        proc.wait(10)
        assert scalar(db_url, still_open) == 1
        proc = _start_listener(port, env, log)
        deadline = time.monotonic() + 15
        while scalar(db_url, still_open) and time.monotonic() < deadline:
            time.sleep(0.1)
        reason = "SELECT close_reason FROM connection_log WHERE connection_id = 'victim'"
        assert "stopped without closing the connection" in scalar(db_url, reason)
        assert scalar(db_url, still_open) == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


def test_sessions_are_created_by_the_first_read_not_by_a_start(db_url: str, tmp_path: Path) -> None:
    async def main() -> None:
        opts = options(tmp_path, session=None)
        async with running(db_url, opts):
            pass  # started and stopped: nothing to keep
        async with running(db_url, opts) as listener:
            port = listener.server.bound_port  # type: ignore[union-attr]
            idle = ScriptedClient(port, connection_id="idle", event="")
            await idle.connect()
            await asyncio.wait_for(idle.started.wait(), 10)
            await idle.close()
            await wait_for(lambda: scalar(db_url, "SELECT count(*) FROM connection_log") >= 1)
            assert scalar(db_url, "SELECT count(*) FROM timing_sessions") == 0
            busy = ScriptedClient(port, connection_id="busy", event="")
            await busy.connect()
            await asyncio.wait_for(busy.started.wait(), 10)
            await busy.send(b"CT01_33~1~MINI11992~1234~11:00:00.00~1~0F2A38~1\r\n")
            await wait_for(lambda: listener.writer.stats.committed == 1)
            await busy.close()

    asyncio.run(main())
    assert scalar(db_url, "SELECT count(*) FROM timing_sessions") == 1
    name = scalar(db_url, "SELECT session_name FROM timing_sessions")
    assert name.startswith("Session_")
    assert scalar(db_url, "SELECT timezone FROM timing_sessions") == "America/New_York"


def test_an_unterminated_5_mb_line_then_a_hang_up_is_kept_as_a_reject_and_logged(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        async with running(db_url, options(tmp_path)) as listener:
            client = ScriptedClient(listener.server.bound_port, connection_id="big")  # type: ignore[union-attr]
            await client.connect()
            await asyncio.wait_for(client.started.wait(), 10)
            await client.send(b"CT01_33~1~MINI11992~" + b"9" * (5 << 20))
            await client.close()
            await wait_for(lambda: listener.writer.stats.rejects == 1)

    with caplog.at_level(logging.INFO, logger="p88"):
        asyncio.run(main())
    assert scalar(db_url, "SELECT length(raw_line) FROM rejected_lines") == 4096
    reason = scalar(db_url, "SELECT reason FROM rejected_lines")
    assert "unterminated" in reason and str(20 + (5 << 20)) in reason
    assert any("rejected line #1" in r.getMessage() for r in caplog.records)


def test_the_log_says_where_a_connections_reads_went_and_how_many_were_stored(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [f"CT01_33~{i}~MINI11992~{100 + i}~11:00:0{i}.00~1~0F2A38~1\r\n".encode()
             for i in range(1, 6)]  # fmt: skip

    async def main() -> None:
        async with running(db_url, options(tmp_path, session=None)) as listener:
            client = ScriptedClient(listener.server.bound_port, event="City 10K~1~")  # type: ignore[union-attr]
            await client.connect()
            await asyncio.wait_for(client.started.wait(), 10)
            await client.send(b"".join(lines + lines[:2]) + b"garbage\r\n")
            await wait_for(lambda: listener.writer.stats.rejects == 1)
            await client.close()
            await wait_for(lambda: any("closed" in r.getMessage() for r in caplog.records))

    with caplog.at_level(logging.INFO, logger="p88"):
        asyncio.run(main())
    messages = [r.getMessage() for r in caplog.records]
    banner = next(m for m in messages if m.startswith("listening on"))
    assert "the client's event name" in banner
    closed = next(m for m in messages if " closed (" in m)
    assert "session City 10K" in closed
    assert "7 reads received, 5 stored, 2 duplicates, 1 rejected" in closed
