"""p88 replay over real TCP against small scripted CTP01 servers written here: pull mode,
authentication with other formats, and a server that drops the link and asks to resume.

These servers are not p88's listener: replay must work against any conforming server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

import pytest

from p88.errors import P88Error
from p88.protocol.auth import digest
from p88.protocol.replay import ReplayConfig, ReplayError, replay
from p88.sim.plan import plan_clients

DAY = date(2024, 12, 14)
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _slice(captures_dir: Path, tmp_path: Path, n: int, name: str = "slice.ct33") -> Path:
    lines = (captures_dir / "mini11992-2024-12-14.ct33").read_bytes().split(b"\r\n")[:n]
    path = tmp_path / name
    path.write_bytes(b"".join(line + b"\r\n" for line in lines))
    return path


async def _line(reader: asyncio.StreamReader) -> str:
    data = await asyncio.wait_for(reader.readline(), 5)
    return data.decode().rstrip("\r\n")


def _send(writer: asyncio.StreamWriter, *lines: str) -> None:
    writer.write("".join(line + "\r\n" for line in lines).encode())


async def _run(script: Script, paths: list[Path], **kw: object) -> object:
    server = await asyncio.start_server(script, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        plan = plan_clients(paths, day0=DAY, **kw)  # type: ignore[arg-type]
        config = ReplayConfig("127.0.0.1", port, speed=None, linger_s=0.2, give_up_s=3)
        return await asyncio.wait_for(replay(plan, config), 20)
    finally:
        server.close()


def test_pull_mode_driven_by_the_server(captures_dir: Path, tmp_path: Path) -> None:
    path = _slice(captures_dir, tmp_path, 300)
    expected = path.read_text().splitlines()
    got: list[str] = []
    greeting: list[str] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        greeting.append(await _line(reader))
        _send(writer, "Race Director~Version 2008 rev 3~0")  # TV2: defaults, pull mode
        while True:
            _send(writer, "getdata~50")
            await writer.drain()
            ack = (await _line(reader)).split("~")
            assert ack[:2] == ["ack", "getdata"]
            count = int(ack[2])
            for _ in range(count):
                got.append(await _line(reader))
            if count == 0:
                break
        _send(writer, "start~MINI11992", "getdata~x")
        await writer.drain()
        assert await _line(reader) == "err~start~command unavailable in pull mode"
        assert await _line(reader) == "err~getdata~invalid paramater count"
        assert await reader.read() == b""  # the client hangs up once it has nothing left
        writer.close()

    summary = asyncio.run(_run(script, [path], name="SimpleClient"))
    assert greeting[0].startswith("SimpleClient~") and greeting[0].endswith("~CTP01")
    assert got == expected  # every line, in sequence order, byte for byte
    assert summary.lines == 300  # type: ignore[attr-defined]


def test_authentication_and_requested_formats(captures_dir: Path, tmp_path: Path) -> None:
    path = _slice(captures_dir, tmp_path, 20)
    got: list[str] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _line(reader)
        _send(writer, "strict~1~6", "stream-mode=push", "time-format=iso", "pushmode-ack=true",
              "tagevent-format=CT01_13", "authentication=seed-sha1",
              "authentication-seed=abc")  # fmt: skip
        assert await _line(reader) == f"authorize~timer~{digest('seed-sha1', 'abc', 'pw')}"
        _send(writer, "ack~authorize", "getlocations", "start~MINI11992")
        assert await _line(reader) == "ack~getlocations~MINI11992"
        assert await _line(reader) == "ack~start~MINI11992"
        for _ in range(20):
            got.append(await _line(reader))
        assert await reader.read() == b""
        writer.close()

    asyncio.run(_run(script, [path], user="timer", password="pw"))
    assert got[0] == "CT01_13,1,MINI11992,1208,2024-12-14T11:05:15.06,1,12057E,4"
    assert all(line.startswith("CT01_13,") and ",2024-12-14T" in line for line in got)


def test_wrong_password_ends_the_replay_with_one_clear_error(
    captures_dir: Path, tmp_path: Path
) -> None:
    path = _slice(captures_dir, tmp_path, 5)

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _line(reader)
        _send(writer, "p88~1~3", "stream-mode=push", "authentication=hmac-md5",
              "authentication-seed=s")  # fmt: skip
        await _line(reader)
        _send(writer, "err~authorize~invalid password")
        await writer.drain()
        writer.close()

    with pytest.raises(ReplayError, match="refused the login: invalid password"):
        asyncio.run(_run(script, [path], user="u", password="bad"))


def test_resume_after_the_server_drops_the_link(captures_dir: Path, tmp_path: Path) -> None:
    path = _slice(captures_dir, tmp_path, 400)
    received: dict[int, str] = {}
    ids: list[str] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _line(reader)
        _send(writer, "p88~1~2", "stream-mode=push", "pushmode-ack=false", "getconnectionid")
        ids.append((await _line(reader)).split("~")[2])
        resume = max(received, default=0) + 1
        _send(writer, f"start~MINI11992~{resume}" if received else "start~MINI11992")
        await writer.drain()
        while True:
            line = await _line(reader)
            seq = int(line.split("~")[1])
            assert seq not in received, "resent a line the server already had"
            received[seq] = line
            if len(ids) == 1 and len(received) == 150:
                writer.transport.abort()  # the listener dies mid-replay
                return
            if len(received) == 400:
                assert await reader.read() == b""
                writer.close()
                return

    summary = asyncio.run(_run(script, [path]))
    assert sorted(received) == list(range(1, 401))
    assert len(ids) == 2 and ids[0] == ids[1]  # same connection id after the reconnect
    assert summary.clients[0].connections == 2  # type: ignore[attr-defined]


def test_two_files_one_location_need_separate_clients(captures_dir: Path, tmp_path: Path) -> None:
    a = _slice(captures_dir, tmp_path, 5, "a.ct33")
    b = _slice(captures_dir, tmp_path, 5, "b.ct33")
    with pytest.raises(P88Error, match="one client cannot serve both"):
        plan_clients([a, b], day0=DAY, clients="one")
    plan = plan_clients([a, b], day0=DAY)
    assert len(plan) == 2 and plan[0][1].connection_id != plan[1][1].connection_id


def test_unreachable_server_gives_up_with_one_line(captures_dir: Path, tmp_path: Path) -> None:
    path = _slice(captures_dir, tmp_path, 5)
    plan = plan_clients([path], day0=DAY)
    config = ReplayConfig("127.0.0.1", 9, speed=None, give_up_s=0.5, retry_delay_s=0.1)
    with pytest.raises(ReplayError, match="cannot replay to 127.0.0.1:9"):
        asyncio.run(replay(plan, config))


def test_loop_plays_again_with_new_sequence_numbers_and_times(
    captures_dir: Path, tmp_path: Path
) -> None:
    path = _slice(captures_dir, tmp_path, 50)  # 11:05:15.06 .. 11:06:xx, seq 1..50
    got: list[list[str]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _line(reader)
        _send(writer, "p88~1~2", "stream-mode=push", "time-format=normal", "start")
        await writer.drain()
        while len(got) < 130:
            got.append((await _line(reader)).split("~"))
        writer.transport.abort()

    async def main() -> None:
        server = await asyncio.start_server(script, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        plan = plan_clients([path], day0=DAY)
        config = ReplayConfig("127.0.0.1", port, speed=None, loop=True, give_up_s=0.5)
        task = asyncio.create_task(replay(plan, config))
        while len(got) < 130:
            await asyncio.sleep(0.01)
        task.cancel()
        server.close()

    asyncio.run(main())
    seqs = [int(fields[1]) for fields in got]
    assert seqs[:130] == list(range(1, 131))  # pass 2 continues at 51, pass 3 at 101
    first, again = got[0], got[50]
    assert first[3] == again[3] and first[7] == again[7]  # same tag, same antenna
    assert first[4] == "11:05:15.06" and again[4] > first[4]  # later: a new read, not a resend
