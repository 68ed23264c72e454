"""p88 serve --score: the server follows a race, streams changed results as SSE 'result'
events beside the reads, and answers GET /api/results/{race}/course."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import psycopg

from p88.serve import create_app
from tests import live_race as lr
from tests.test_serve_fixtures import SSEClient, running, wait_until


def test_results_stream_as_events_and_the_course_is_served(
    db_url: str, conn: psycopg.Connection[Any]
) -> None:
    (a, _), session, reads, _ = lr.make_races(conn, runners=40)
    app = create_app(db_url, score=(a,))
    with running(app) as base:
        wait_until(lambda: app.state.hub.listening and app.state.hub.floor is not None)
        wait_until(
            lambda: (
                conn.execute("SELECT 1 FROM ct_live_scoring WHERE race_id = %s", (a,)).fetchone()
                is not None
            ),
            timeout=15,
        )  # the server's follower made its first step
        with SSEClient(base + "/api/timing/stream") as client:
            wait_until(lambda: len(app.state.hub.subscribers) == 1)
            finish = [r for r in reads if r[0] == "FINISH" and r[1] != lr.STRAY][:1]
            lr.feed(conn, session, [r for r in reads if r[1] == finish[0][1]])
            got: list[Any] = []
            deadline = time.monotonic() + 15
            while not any(e.event == "result" for e in got) and time.monotonic() < deadline:
                got += client.take(1, timeout=15)
            results = [e for e in got if e.event == "result"]
            assert results and all(e.id is None for e in results)  # reads keep the ids
            data = json.loads(results[0].data)
            assert data["race_id"] == a and data["bib"] == finish[0][1]
            assert data["last_point"] in ("START", "3K", "6K", "FINISH")
            assert {e.event for e in got} == {None, "result"}
        course = httpx.get(f"{base}/api/results/{a}/course", params={"bib": finish[0][1]})
        assert course.status_code == 200
        doc = course.json()
        assert doc["counts"]["entered"] == 38 and doc["runners"][0]["bib"] == finish[0][1]
        assert httpx.get(f"{base}/api/results/999/course").status_code == 404


def test_serve_and_tui_refuse_to_score_a_race_they_cannot_follow(
    p88_env: str, conn: psycopg.Connection[Any]
) -> None:
    from typer.testing import CliRunner

    from p88.cli.main import app
    from tests.test_race_day import free_port

    (a, _), _, _, _ = lr.make_races(conn, runners=10)
    conn.execute("DELETE FROM ct_race_points WHERE race_id = %s", (a,))
    cli = CliRunner()
    port = str(free_port())
    for args in (["serve", "--port", port, "--score"], ["tui", "--score"]):
        missing = cli.invoke(app, [*args, "999"])
        assert missing.exit_code == 1 and missing.stderr.startswith("Error: no race 999 (")
        bare = cli.invoke(app, [*args, str(a)])
        assert bare.exit_code == 4
        assert bare.stderr.startswith(f"Error: race {a} has no timing points stored")
