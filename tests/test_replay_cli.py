"""The commands in-process (CliRunner): p88 demo, p88 simulate, p88 replay, and their
one-line errors. Real PostgreSQL, real listener, real sockets."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from p88.cli.main import app
from p88.sim.plan import parse_speed

runner = CliRunner()


def test_bare_demo_stores_a_simulated_race_through_a_real_listener(
    p88_env: str, conn: psycopg.Connection[Any]
) -> None:
    result = runner.invoke(app, ["demo", "--runners", "400", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["lines_sent"] == data["reads_stored"] + data["gun_events"]
    assert data["gun_events"] == 3  # three waves
    assert [row["location"] for row in data["by_location"]] == ["START", "5K", "FINISH"]
    stored = conn.execute(
        "SELECT count(*) FROM timing_reads r JOIN timing_sessions s ON s.id = r.session_id"
        " WHERE s.session_name = %s",
        (data["session"],),
    ).fetchone()
    assert stored == (data["reads_stored"],)
    assert 0.88 * 400 <= data["finishers"] <= 0.97 * 400


def test_bare_demo_prints_the_next_commands(p88_env: str) -> None:
    result = runner.invoke(app, ["demo", "--runners", "50"])
    assert result.exit_code == 0, result.output
    for command in ("p88 tui --session", "p88 serve", "p88 ask", "p88 replay"):
        assert command in result.stdout


def test_simulate_json_is_deterministic_and_writes_files(tmp_path: Path) -> None:
    args = ["simulate", "--runners", "300", "--seed", "9", "--waves", "2", "--json"]
    first = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    second = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert first.exit_code == second.exit_code == 0, first.output
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["points"] == b["points"]
    assert (tmp_path / "a" / "FINISH.ct33").read_bytes() == (
        tmp_path / "b" / "FINISH.ct33"
    ).read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "5K.ct33", "FINISH.ct33", "START.ct33", "participants.csv", "runners.csv",
    ]  # fmt: skip


def test_replay_cli_into_a_scripted_sink_and_its_errors(tmp_path: Path) -> None:
    race = tmp_path / "race"
    assert runner.invoke(app, ["simulate", "--runners", "50", "--out", str(race)]).exit_code == 0
    result = runner.invoke(app, ["replay", str(race / "FINISH.ct33"), "--to", "nowhere"])
    assert result.exit_code == 1
    assert (
        result.stderr.strip() == "Error: --to 'nowhere': expected HOST:PORT, e.g. 127.0.0.1:61611"
    )
    result = runner.invoke(app, ["replay", str(tmp_path / "missing.ct33")])
    assert result.exit_code == 1 and result.stderr.startswith("Error: cannot read ")
    result = runner.invoke(app, ["replay", str(race / "START.ct33"), "--speed", "fast"])
    assert result.exit_code == 1 and "--speed 'fast'" in result.stderr
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    started = time.monotonic()
    target = f"127.0.0.1:{closed_port}"
    result = runner.invoke(
        app,
        [
            "replay",
            str(race / "START.ct33"),
            "--to",
            target,
            "--give-up",
            "0",
            "--date",
            "2026-06-07",
        ],
    )
    assert result.exit_code == 1 and time.monotonic() - started < 10
    assert result.stderr.startswith(f"Error: cannot replay to {target}: ")
    assert "Traceback" not in result.output + result.stderr


def _settled(conn: psycopg.Connection[Any], query: str, expected: int) -> int:
    """The count once it reaches ``expected`` (the listener commits a few ms after the
    replay ends), or whatever it is after 10 s."""
    deadline = time.monotonic() + 10
    while True:
        (value,) = conn.execute(query).fetchone()  # type: ignore[misc]
        if value == expected or time.monotonic() > deadline:
            return int(value)
        time.sleep(0.02)


def test_replay_cli_json_against_the_listener(
    listener_port: int, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = tmp_path / "race"
    assert runner.invoke(app, ["simulate", "--runners", "200", "--out", str(race)]).exit_code == 0
    files = [str(race / f"{p}.ct33") for p in ("START", "5K", "FINISH")]
    result = runner.invoke(
        app, ["replay", *files, "--to", f"127.0.0.1:{listener_port}", "--speed", "max",
              "--date", "2026-06-07", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [f["location"] for f in data["feeds"]] == ["START", "5K", "FINISH"]
    assert all(f["sent"] == f["lines"] for f in data["feeds"])
    assert len(data["clients"]) == 1  # three locations over one link
    sent = sum(f["lines"] for f in data["feeds"])
    total = "SELECT (SELECT count(*) FROM timing_reads) + (SELECT count(*) FROM timing_gun_events)"
    assert _settled(conn, total, sent) == sent
    (session,) = conn.execute(
        "SELECT DISTINCT s.session_name FROM timing_reads r JOIN timing_sessions s"
        " ON s.id = r.session_id"
    ).fetchone()  # type: ignore[misc]
    assert session == "race"  # the event a replay reports: the race directory's name


def test_simulate_streams_live_with_to(
    listener_port: int, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["simulate", "--runners", "150", "--seed", "4", "--to", f"127.0.0.1:{listener_port}",
              "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = sum(p["lines"] for p in json.loads(result.stdout)["points"])
    stored = (
        "SELECT count(*) FROM timing_reads r JOIN timing_sessions s ON s.id = r.session_id"
        " WHERE s.session_name = 'Simulated race 4'"
    )
    assert _settled(conn, stored, lines - 1) == lines - 1  # every line but the one gun time


@pytest.mark.parametrize(
    ("text", "speed"), [("1", 1.0), ("10", 10.0), ("10x", 10.0), ("2.5", 2.5), ("max", None)]
)
def test_speed_values(text: str, speed: float | None) -> None:
    assert parse_speed(text) == speed
