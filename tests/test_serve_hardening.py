"""The server under hostile clients (issue 19): tokens out of logs, bodies refused before they
are read, security headers, private surfaces, bounded SSE catch-up, and clear exits."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from p88.cli.main import app as cli
from p88.serve import base_url, create_app, stream
from p88.serve.auth import Grant
from p88.serve.hub import Event, Hub
from tests.test_serve_fixtures import SSEClient, at, insert_reads, make_session, running, wait_until

SECRET = "s3cret-token-abcdefghijkl"
HEADERS = (
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "content-security-policy",
)


@pytest.fixture
def guarded(db_url: str) -> Iterator[tuple[FastAPI, str]]:
    app = create_app(db_url, tokens={SECRET: Grant(None)})
    with running(app) as base:
        wait_until(lambda: app.state.hub.floor is not None)
        yield app, base


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_token_never_reaches_the_log(p88_env: str, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"{SECRET} *\n")
    tokens.chmod(0o644)  # as ssh does with a key: used, with a warning
    port = _free_port()
    main = "from p88.cli.main import main; main()"
    cmd = [sys.executable, "-c", main, "serve", "--port", str(port), "--token-file", str(tokens)]
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=os.environ.copy())
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            got = httpx.get(f"{base}/api/timing/sessions?token={SECRET}", timeout=5)
            assert got.status_code == 200
            page = httpx.get(f"{base}/?token={SECRET}&session_id=1", timeout=5)
            assert page.status_code == 303 and page.headers["location"] == "/?session_id=1"
            cookie = page.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            with_cookie = httpx.get(f"{base}/", cookies={"p88_token": SECRET}, timeout=5)
            assert with_cookie.status_code == 200 and "LIVE TIMING" in with_cookie.text
            assert httpx.get(f"{base}/api/timing/sessions?token=wrong{SECRET}").status_code == 401
        finally:
            proc.terminate()
            proc.wait(10)
    text = log.read_text()
    assert "GET /api/timing/sessions?token=[redacted]" in text  # the access log is on
    assert SECRET not in text
    assert f"warning: token file {tokens} is open to group or others (mode 0644)" in text


def _raw(base: str, head: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall(head.encode())
    return sock


def _status_within(sock: socket.socket, seconds: float) -> int:
    ready, _, _ = select.select([sock], [], [], seconds)
    assert ready, "no answer"
    return int(sock.recv(4096).split(b" ", 2)[1])


def test_bodies_are_refused_before_they_are_read(guarded: tuple[FastAPI, str]) -> None:
    _, base = guarded
    huge = 100 * 1024 * 1024
    head = "POST /api/v1/nl-query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    # No token: 401 with not one byte of the 100 MB sent.
    with _raw(base, head + f"Content-Length: {huge}\r\n\r\n") as sock:
        assert _status_within(sock, 2) == 401
    # A token: the declared length alone is enough for 413.
    auth = f"Authorization: Bearer {SECRET}\r\n"
    with _raw(base, head + auth + f"Content-Length: {huge}\r\n\r\n") as sock:
        assert _status_within(sock, 2) == 413
    # Chunked: counted as it streams, refused as soon as it passes the cap.
    with _raw(base, head + auth + "Transfer-Encoding: chunked\r\n\r\n") as sock:
        chunk = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"
        sent = 0
        status = None
        while sent < huge:
            try:
                sock.sendall(chunk)
            except OSError:
                break  # the server hung up after answering
            sent += 0x4000
            if select.select([sock], [], [], 0)[0]:
                status = int(sock.recv(4096).split(b" ", 2)[1])
                break
        if status is None:
            status = _status_within(sock, 2)
        assert status == 413
        # Refused long before the 100 MB were sent (what was sent sits in socket buffers).
        assert sent < 16 * 1024 * 1024
    # A normal question still fits.
    ok = httpx.post(base + "/api/v1/nl-examples", headers={"Authorization": f"Bearer {SECRET}"})
    assert ok.status_code == 405  # a GET route: the body limit did not get in the way


def test_security_headers_and_private_surfaces(guarded: tuple[FastAPI, str]) -> None:
    _, base = guarded
    bearer = {"Authorization": f"Bearer {SECRET}"}
    for path in ("/", "/docs", "/openapi.json", "/api/timing/sessions"):
        refused = httpx.get(base + path, timeout=5)
        assert refused.status_code == 401, path
        assert all(h in refused.headers for h in HEADERS), path
        allowed = httpx.get(base + path, headers=bearer, timeout=5)
        assert allowed.status_code == 200, path
        assert allowed.headers["x-content-type-options"] == "nosniff"
        assert allowed.headers["x-frame-options"] == "DENY"
        assert allowed.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in allowed.headers["content-security-policy"]
    page = httpx.get(base + "/", headers=bearer)
    csp = page.headers["content-security-policy"]
    # the pages have no inline code: scripts and styles from this server only
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "unsafe" not in csp
    assert httpx.head(base + "/", headers=bearer).status_code == 200
    health = httpx.get(base + "/health")
    assert health.status_code == 200 and health.headers["x-content-type-options"] == "nosniff"


def test_catch_up_is_paged_and_complete(
    db_url: str, conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = make_session(conn)
    ids: list[int] = []
    for batch in range(5):
        ids += insert_reads(
            conn, sid, [("finish", str(n), at(n)) for n in range(batch * 200, batch * 200 + 200)]
        )
    pages: list[int] = []
    real = stream.catchup_page

    def counted(c: Any, after: int, filters: dict[str, Any]) -> list[dict[str, Any]]:
        rows = real(c, after, filters)
        pages.append(len(rows))
        return rows

    monkeypatch.setattr(stream, "catchup_page", counted)
    app = create_app(db_url)
    with running(app) as base, SSEClient(base + "/api/timing/stream?last_event_id=0") as client:
        got = [int(e.id or 0) for e in client.take(len(ids), timeout=20)]
    assert got == ids  # every read, in order, none twice
    assert max(pages) <= stream.CATCHUP_PAGE
    assert len(pages) >= len(ids) // stream.CATCHUP_PAGE


def test_a_slow_client_is_dropped_not_buffered(db_url: str) -> None:
    from p88.serve.db import Database

    hub = Hub(Database(db_url))
    hub.queue_events = 100
    slow = hub.subscribe(lambda e: True)
    fast = hub.subscribe(lambda e: True)
    for start in range(0, 1000, 10):
        hub._publish(
            [Event(i, 1, "finish", None, f"id: {i}\n\n") for i in range(start, start + 10)]
        )
        while not fast.queue.empty():
            fast.queue.get_nowait()
            fast.queued = 0
        assert slow.queued <= 100
    assert slow.dropped and slow not in hub.subscribers
    assert not fast.dropped and fast in hub.subscribers


def test_unclear_exits_are_clear(
    guarded: tuple[FastAPI, str], conn: psycopg.Connection[Any]
) -> None:
    _, base = guarded
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {SECRET}"}, timeout=5)
    assert api.get("/api/timing/stats", params={"session_id": 4242}).status_code == 404
    assert api.get("/api/timing/stream", params={"session_id": 4242}).status_code == 404
    sid = make_session(conn)
    assert api.get("/api/timing/stats", params={"session_id": sid}).status_code == 200
    sundial = api.post("/api/v1/nl-explain", json={"query": "top 10", "time_basis": "sundial"})
    assert sundial.status_code == 422
    nul = api.post("/api/v1/nl-explain", json={"query": "top\x00 10"})
    assert nul.status_code == 422 and "NUL" in nul.text
    assert base_url("::1", 8189) == "http://[::1]:8189/"
    assert base_url("127.0.0.1", 8189) == "http://127.0.0.1:8189/"


def test_a_busy_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {"P88_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
           "P88_CONFIG": str(tmp_path / "none.toml")}  # fmt: skip
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)], env=env)
    assert result.exit_code == 1  # not 3, and before the banner
    assert result.stderr.startswith(f"Error: port {port} on 127.0.0.1 is already in use")
    assert "p88 serve: http" not in result.output
