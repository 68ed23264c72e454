"""Shared helpers for the serve tests: reads inserted with plain SQL, NOTIFY as the listener does.

Deliberately independent of the listener's writer: these tests pin the read side of the
contract (rows in timing_reads + one ``p88.store.live.notify`` per committed batch).
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import psycopg

from p88.store.live import ReadsCommitted, notify

T0 = datetime(2026, 5, 3, 8, 0, 0)


def make_partner(conn: psycopg.Connection[Any], code: str = "acme") -> int:
    """A timing partner (tenant); returns its id."""
    row = conn.execute(
        "INSERT INTO timing_partners (name, code) VALUES (%s, %s) RETURNING id",
        (f"{code.title()} Timing", code),
    ).fetchone()
    assert row is not None
    return int(row[0])


def make_session(
    conn: psycopg.Connection[Any],
    name: str = "Session_20260503_080000",
    *,
    partner_id: int | None = None,
    locations: dict[str, str] | None = None,
) -> int:
    """A session with its locations (name -> description); returns the session id."""
    row = conn.execute(
        "INSERT INTO timing_sessions (session_name, event_name, partner_id) "
        "VALUES (%s, 'Test Race', %s) RETURNING id",
        (name, partner_id),
    ).fetchone()
    assert row is not None
    sid = int(row[0])
    for loc, desc in (locations or {"start": "Starting Line", "finish": "Finish Line"}).items():
        conn.execute(
            "INSERT INTO timing_locations (session_id, location_name, description) "
            "VALUES (%s, %s, %s)",
            (sid, loc, desc),
        )
    return sid


def insert_reads(
    conn: psycopg.Connection[Any],
    session_id: int,
    reads: list[tuple[str, str, datetime]],
) -> list[int]:
    """Insert (location, tag, timestamp) reads in ONE transaction with its NOTIFY; return ids."""
    ids: list[int] = []
    with conn.transaction():
        for loc, tag, ts in reads:
            row = conn.execute(
                """
                INSERT INTO timing_reads (session_id, location_id, location_name, tag_code,
                    read_time, read_date, read_timestamp, reader_id, raw_data)
                VALUES (%(s)s,
                    (SELECT id FROM timing_locations WHERE session_id = %(s)s
                       AND location_name = %(loc)s),
                    %(loc)s, %(tag)s, %(ts)s::time, %(ts)s::date, %(ts)s, 'T123',
                    %(raw)s)
                RETURNING id
                """,
                {
                    "s": session_id,
                    "loc": loc,
                    "tag": tag,
                    "ts": ts,
                    "raw": f"CT01_33~1~{loc}~{tag}~{ts:%H:%M:%S.%f}"[:-3],
                },
            ).fetchone()
            assert row is not None
            ids.append(int(row[0]))
        notify(conn, ReadsCommitted((session_id,), max(ids), len(ids)))
    return ids


def at(seconds: float) -> datetime:
    """T0 plus some seconds: readable test timestamps."""
    return T0 + timedelta(seconds=seconds)


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1, port 0, in a thread; yield its base URL."""
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="p88-test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@dataclass
class SSEEvent:
    id: str | None
    data: str
    event: str | None = None  # the event type ('result'); None for plain messages (reads)

    def json(self) -> Any:
        return json.loads(self.data)


class SSEClient:
    """A real HTTP SSE client on its own thread: events land in a queue the test drains."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.events: queue.Queue[SSEEvent] = queue.Queue()
        self.comments: list[str] = []
        self.status: int | None = None
        self.opened = threading.Event()
        self.finished = threading.Event()
        self.retry_lines: list[str] = []
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=30))
        self._socket: socket.socket | None = None
        self._url = url
        self._headers = headers or {}
        self._thread = threading.Thread(target=self._run, name="p88-test-sse", daemon=True)
        self._thread.start()
        if not self.opened.wait(10):
            raise AssertionError("SSE stream did not open")

    def _run(self) -> None:
        try:
            with self._client.stream("GET", self._url, headers=self._headers) as response:
                self.status = response.status_code
                stream = response.extensions.get("network_stream")
                self._socket = stream.get_extra_info("socket") if stream else None
                self.opened.set()
                event_id: str | None = None
                kind: str | None = None
                data: list[str] = []
                for line in response.iter_lines():
                    if line.startswith(":"):
                        self.comments.append(line)
                    elif line.startswith("retry:"):
                        self.retry_lines.append(line)
                    elif line.startswith("id:"):
                        event_id = line[3:].strip()
                    elif line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].lstrip())
                    elif line == "" and data:
                        self.events.put(SSEEvent(event_id, "\n".join(data), kind))
                        event_id, kind, data = None, None, []
        except (httpx.HTTPError, RuntimeError, ValueError):
            pass  # closed by the test, or by the server
        finally:
            self.opened.set()
            self.finished.set()

    def take(self, n: int, timeout: float = 5.0) -> list[SSEEvent]:
        """Exactly the next ``n`` events, or AssertionError after ``timeout``."""
        got: list[SSEEvent] = []
        deadline = time.monotonic() + timeout
        while len(got) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"got {len(got)} of {n} events: {got}")
            try:
                got.append(self.events.get(timeout=remaining))
            except queue.Empty:
                continue
        return got

    def close(self) -> None:
        """Hang up: shutting the socket down wakes the reader thread at once."""
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
        self._client.close()
        self._thread.join(5)

    def __enter__(self) -> SSEClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
