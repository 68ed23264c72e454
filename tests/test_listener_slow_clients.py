"""The listener against slow and greedy clients (issue 19): tricklers, socket hoarders and
password guessers, over real sockets on 127.0.0.1 with shrunken timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

import pytest

from p88.protocol import auth_digest
from tests.test_listener_support import ScriptedClient, options, running, scalar, wait_for

GREETING = b"SimpleClient~0.6.0~CTP01\r\n"


async def _open(
    port: int, local: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))


async def _trickle_until_closed(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes, limit: float
) -> float | None:
    """Send ``data`` one byte every 0.05 s (looping); the seconds until the server closed the
    socket, or None if it was still open after ``limit`` seconds."""
    began = time.monotonic()
    reading = asyncio.ensure_future(reader.read())  # everything until EOF
    i = 0
    try:
        while time.monotonic() - began < limit:
            if reading.done():
                return time.monotonic() - began
            with contextlib.suppress(ConnectionError, OSError):
                writer.write(data[i % len(data) : i % len(data) + 1])
            i += 1
            await asyncio.sleep(0.05)
        return None
    finally:
        reading.cancel()
        writer.close()


@pytest.fixture(autouse=True)
def _p88_logs_reach_caplog(monkeypatch: pytest.MonkeyPatch) -> None:
    """``p88 listen`` (run in-process by CLI tests) stops p88's logs from propagating."""
    monkeypatch.setattr(logging.getLogger("p88"), "propagate", True)


def test_a_trickle_before_the_greeting_is_cut_at_the_greeting_deadline(
    db_url: str, tmp_path: Path
) -> None:
    async def main() -> float | None:
        opts = options(tmp_path, greeting_timeout=0.6)
        async with running(db_url, opts) as listener:
            reader, writer = await _open(listener.server.bound_port)  # type: ignore[union-attr]
            return await _trickle_until_closed(reader, writer, GREETING[:-2], limit=4.0)

    closed_after = asyncio.run(main())
    assert closed_after is not None and closed_after < 2.0


def test_a_trickle_after_the_handshake_is_cut_without_a_complete_line(
    db_url: str, tmp_path: Path
) -> None:
    line = b"CT01_33~1~MINI11992~1234~11:00:00.00~1~0F2A38~1"  # never terminated

    async def main() -> float | None:
        opts = options(tmp_path, idle_timeout=0.8, ping_interval=60)
        async with running(db_url, opts) as listener:
            client = ScriptedClient(listener.server.bound_port)  # type: ignore[union-attr]
            await client.connect()
            await asyncio.wait_for(client.started.wait(), 10)
            assert client.writer is not None
            began = time.monotonic()
            i = 0
            while not client.closed.is_set() and time.monotonic() - began < 4.0:
                with contextlib.suppress(ConnectionError, OSError):
                    await client.send(line[i % len(line) : i % len(line) + 1])
                i += 1
                await asyncio.sleep(0.05)
            took = time.monotonic() - began if client.closed.is_set() else None
            await client.close()
            return took

    closed_after = asyncio.run(main())
    assert closed_after is not None and closed_after < 2.5


def test_one_host_hoarding_sockets_cannot_lock_out_the_controller(
    db_url: str, tmp_path: Path
) -> None:
    async def main() -> None:
        opts = options(tmp_path, max_connections=12, max_pending=8, max_pending_per_address=4,
                       greeting_timeout=30)  # fmt: skip
        async with running(db_url, opts) as listener:
            port = listener.server.bound_port  # type: ignore[union-attr]
            hoard = [await _open(port, "127.0.0.1") for _ in range(20)]
            await asyncio.sleep(0.3)
            still_open = [w for r, w in hoard if not r.at_eof()]
            await asyncio.gather(*(r.read() for r, _ in hoard[4:]))  # all beyond 4 closed
            assert sum(1 for r, _ in hoard if not r.at_eof()) == 4
            assert len(still_open) >= 4
            # the controller from another address gets in and streams
            controller = ScriptedClient(port, connection_id="controller", local_addr="127.0.0.2")
            await controller.connect()
            await asyncio.wait_for(controller.started.wait(), 5)
            # unfinished handshakes from many addresses: the oldest make room for newcomers
            crowd = [await _open(port, f"127.0.0.{3 + i // 4}") for i in range(12)]
            await asyncio.sleep(0.3)
            pending = [x for x in listener.server.links if not x.established]  # type: ignore[union-attr]
            assert len(pending) == 8
            late = ScriptedClient(port, connection_id="late", local_addr="127.0.0.9")
            await late.connect()
            await asyncio.wait_for(late.started.wait(), 5)
            assert not controller.closed.is_set()
            for _, w in hoard + crowd:
                w.close()
            await controller.close()
            await late.close()

    asyncio.run(main())


def test_wrong_passwords_are_slowed_then_locked_out_and_logged_in_summary(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def attempt(port: int, password: str) -> tuple[float, bytes]:
        """One login; (seconds until the server answered and hung up, what it said)."""
        reader, writer = await _open(port)
        try:
            writer.write(GREETING)
            header = await asyncio.wait_for(reader.readline(), 5)
            if not header:
                return 0.0, b""  # refused at once
            requests: dict[str, str] = {}
            for _ in range(int(header.strip().split(b"~")[2])):
                key, _, value = (await reader.readline()).strip().decode().partition("=")
                requests[key] = value
            digest = auth_digest(requests["authentication"], requests["authentication-seed"],
                                 password)  # fmt: skip
            began = time.monotonic()
            writer.write(f"authorize~timer~{digest}\r\n".encode())
            reply = await asyncio.wait_for(reader.read(), 10)
            return time.monotonic() - began, reply
        except ConnectionError:
            return 0.0, b""
        finally:
            writer.close()

    async def main() -> list[tuple[float, bytes]]:
        opts = options(tmp_path, users={"timer": "secret"}, auth_delay=0.2, auth_max_failures=4,
                       auth_lockout=30)  # fmt: skip
        async with running(db_url, opts) as listener:
            port = listener.server.bound_port  # type: ignore[union-attr]
            results = [await attempt(port, "wrong") for _ in range(8)]
            await wait_for(lambda: listener.writer.queued == 0)
            return results

    with caplog.at_level(logging.INFO, logger="p88"):
        results = asyncio.run(main())
    delays = [d for d, _ in results[:4]]
    assert all(reply.startswith(b"err~authorize") for _, reply in results[:4])
    assert delays[0] >= 0.15 and delays[1] >= 0.35 and delays[2] >= 0.75  # doubling
    assert all(reply == b"" for _, reply in results[4:])  # locked out: refused at once
    assert scalar(db_url, "SELECT count(*) FROM connection_log") == 4
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("p88.listen")]
    about = [m for m in lines if "login" in m or "authentication" in m or "refused" in m]
    assert any("4 failed logins from 127.0.0.1" in m for m in about)
    assert len(about) <= 3, about  # in summary, not three lines per attempt
