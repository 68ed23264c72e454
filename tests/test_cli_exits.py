"""Unclear or wrong exits found by trying mistakes (issue 19): each a clear line and the
right exit code, or a success reported as one. Real sockets on 127.0.0.1, bounded."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from p88.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def finish_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    race = tmp_path_factory.mktemp("race")
    result = runner.invoke(app, ["simulate", "--runners", "40", "--out", str(race)])
    assert result.exit_code == 0, result.output
    dated = race / "FINISH-2026-06-07.ct33"  # a capture dated by its name (simulate's day)
    (race / "FINISH.ct33").rename(dated)
    return dated


def _one_line_error(result: Any, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return str(lines[0])


@pytest.fixture(params=["push", "pull"])
def leaving_server(
    request: pytest.FixtureRequest, finish_file: Path
) -> Iterator[tuple[int, list[int]]]:
    """A CTP01 server that takes one replay (push, or pulling with getdata), closes once it
    has every line, and stops listening: (port, [lines it received])."""
    expected = sum(1 for line in finish_file.read_bytes().splitlines() if line.strip())
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(10)
    got: list[int] = []
    mode = request.param

    def serve() -> None:
        conn, _ = srv.accept()
        srv.close()  # gone: nobody answers a reconnect
        conn.settimeout(10)
        f = conn.makefile("rb")
        f.readline()
        conn.sendall(f"sink~1.0~4\r\nstream-mode={mode}\r\nlocation=multi\r\n".encode()
                     + b"guntimes=true\r\ntime-format=normal\r\n")  # fmt: skip
        count = 0
        if mode == "push":
            conn.sendall(b"start\r\n")
            while count < expected and (line := f.readline()):
                count += line.startswith(b"CT01_33~")
        while mode == "pull" and count < expected:
            conn.sendall(b"getdata~500\r\n")
            line = f.readline()
            while line and not line.startswith(b"ack~getdata~"):
                line = f.readline()
            if not line:
                break
            for _ in range(int(line.strip().split(b"~")[2])):
                count += f.readline().startswith(b"CT01_33~")
        got.append(count)
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield srv.getsockname()[1], got
    thread.join(15)


def test_replay_exits_0_when_the_server_leaves_after_getting_everything(
    leaving_server: tuple[int, list[int]], finish_file: Path
) -> None:
    port, got = leaving_server
    started = time.monotonic()
    result = runner.invoke(app, ["replay", str(finish_file), "--to", f"127.0.0.1:{port}",
                                 "--speed", "max", "--give-up", "20", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 10  # not after --give-up
    assert got and got[0] > 0
    assert f'"sent": {got[0]}' in result.stdout


def test_replay_to_a_url_or_a_name_that_does_not_resolve_fails_at_once(
    finish_file: Path,
) -> None:
    started = time.monotonic()
    result = runner.invoke(app, ["replay", str(finish_file), "--to", "http://127.0.0.1:61611"])
    assert "not a URL" in _one_line_error(result)
    result = runner.invoke(app, ["replay", str(finish_file), "--to", "no-such-host.invalid:61611"])
    assert "does not resolve" in _one_line_error(result)
    assert time.monotonic() - started < 10  # not --give-up's 30 s


def test_ctrl_c_on_replay_prints_what_was_sent(finish_file: Path, tmp_path: Path) -> None:
    srv = socket.create_server(("127.0.0.1", 0))  # accepts, greets, starts; never closes
    port = srv.getsockname()[1]

    def serve() -> None:
        srv.settimeout(10)
        try:
            conn, _ = srv.accept()
        except OSError:
            return
        conn.recv(100)
        conn.sendall(b"sink~1.0~2\r\nstream-mode=push\r\ntime-format=normal\r\nstart\r\n")
        conn.settimeout(15)
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    proc = subprocess.Popen(
        [sys.executable, "-m", "p88", "replay", str(finish_file), "--to", f"127.0.0.1:{port}",
         "--speed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    try:
        time.sleep(3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
        srv.close()
    assert proc.returncode == 130, err
    text = err.decode()
    assert "Interrupted in" in text and "FINISH" in text
    assert "lines sent to 127.0.0.1:" in text


def test_db_status_with_a_file_as_data_dir_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("P88_DATABASE_URL", raising=False)
    monkeypatch.setenv("P88_CONFIG", str(tmp_path / "p88.toml"))
    monkeypatch.setenv("P88_DATA_DIR", "/etc/passwd")
    result = runner.invoke(app, ["db", "status"])
    assert "data directory /etc/passwd is not usable" in _one_line_error(result)


def test_import_of_a_file_with_no_valid_line_fails_and_leaves_nothing(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    junk = tmp_path / "ls.bin"
    junk.write_bytes(Path(sys.executable).read_bytes()[:200_000])
    result = runner.invoke(app, ["import", str(junk), "--session", "x"])
    assert "no valid CT01 data line" in _one_line_error(result)
    assert conn.execute("SELECT count(*) FROM timing_sessions").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM rejected_lines").fetchone() == (0,)


def test_listen_refuses_an_unwritable_spool_dir_and_an_invalid_host(p88_env: str) -> None:
    result = runner.invoke(app, ["listen", "--port", "0", "--spool-dir", "/etc/passwd"])
    assert "spool directory /etc/passwd is not usable" in _one_line_error(result)
    result = runner.invoke(app, ["listen", "--port", "0", "--host", "999.1.1.1"])
    assert result.exit_code == 1
    message = result.stderr.strip().splitlines()[-1]  # after the no-auth-file warning
    assert "not a valid address" in message and "another listener" not in message


def test_simulate_with_a_negative_runner_count_says_so() -> None:
    result = runner.invoke(app, ["simulate", "--runners", "-5"])
    assert _one_line_error(result) == "Error: --runners -5: give at least 1 entrant"
