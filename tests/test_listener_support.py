"""A scripted CTP01 client and a listener harness for the listener tests (real sockets).

The client plays SimpleClient: greeting, answers to the server's commands, data lines
for the locations the server starts, from the sequence the server asks for.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from p88.listener import Listener, ListenOptions
from p88.protocol import Command, auth_digest, parse_line
from p88.store.connect import connect


@dataclass
class ScriptedClient:
    """Connects, handshakes, and records each ``start~loc[~seq]`` the server sends."""

    port: int
    connection_id: str = "cid-1"
    locations: tuple[str, ...] = ("MINI11992",)
    event: str = "Test Race~0~A test"
    user: str | None = None
    password: str | None = None
    starts: dict[str, int | None] = field(default_factory=dict)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    received: list[bytes] = field(default_factory=list)
    writer: asyncio.StreamWriter | None = None
    local_addr: str | None = None  # another loopback address (127.0.0.2) plays another host
    _task: asyncio.Task[None] | None = None

    async def connect(self, greeting: bytes = b"SimpleClient~0.6.0~CTP01\r\n") -> None:
        local = (self.local_addr, 0) if self.local_addr else None
        reader, self.writer = await asyncio.open_connection(
            "127.0.0.1", self.port, local_addr=local
        )
        self.writer.write(greeting)
        header = await reader.readline()
        count = int(header.strip().split(b"~")[2])
        requests: dict[str, str] = {}
        for _ in range(count):
            key, _, value = (await reader.readline()).strip().decode().partition("=")
            requests[key] = value
        if "authentication" in requests:
            digest = auth_digest(
                requests["authentication"], requests["authentication-seed"], self.password or ""
            )
            self.writer.write(f"authorize~{self.user}~{digest}\r\n".encode())
        self._task = asyncio.create_task(self._serve(reader))

    async def _serve(self, reader: asyncio.StreamReader) -> None:
        assert self.writer is not None
        try:
            while line := await reader.readline():
                self.received.append(line)
                msg = parse_line(line)
                if not isinstance(msg, Command):
                    continue
                reply = {
                    "getconnectionid": f"ack~getconnectionid~{self.connection_id}",
                    "geteventinfo": f"ack~geteventinfo~{self.event}",
                    "getlocations": "~".join(("ack~getlocations", *self.locations)),
                    "ping": "ack~ping",
                }.get(msg.name)
                if msg.name == "start":
                    loc = msg.args[0]
                    self.starts[loc] = int(msg.args[1]) if len(msg.args) > 1 else None
                    reply = f"ack~start~{loc}"
                    if set(self.starts) >= set(self.locations):
                        self.started.set()
                if reply:
                    self.writer.write(reply.encode() + b"\r\n")
        except (ConnectionError, OSError):
            pass
        finally:
            self.closed.set()

    async def send(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)
        await self.writer.drain()

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await asyncio.wait_for(self._task, 5)


def options(tmp_path: Path, **kwargs: Any) -> ListenOptions:
    base: dict[str, Any] = {
        "spool_dir": tmp_path / "spool", "port": 0, "session": "race",
        "timezone": "America/New_York", "tick_interval": 0.1,
    }  # fmt: skip
    base.update(kwargs)
    return ListenOptions(**base)


@contextlib.asynccontextmanager
async def running(url: str, opts: ListenOptions) -> AsyncIterator[Listener]:
    """A listener on a free loopback port, stopped (gracefully) at the end."""
    listener = Listener(url, opts)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(listener.run(stop, ready=ready))
    await asyncio.wait({task, asyncio.create_task(ready.wait())}, return_when="FIRST_COMPLETED")
    if task.done():
        task.result()
    try:
        yield listener
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def scalar(url: str, query: str, params: tuple[Any, ...] = ()) -> Any:
    with connect(url, autocommit=True) as c:
        row = c.execute(query, params).fetchone()  # type: ignore[arg-type]
        return None if row is None else row[0]


async def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def capture_lines(captures_dir: Path, name: str = "mini11992-2024-12-14.ct33") -> list[bytes]:
    return (captures_dir / name).read_bytes().splitlines(keepends=True)
