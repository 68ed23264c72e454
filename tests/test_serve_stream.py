"""GET /api/timing/stream: every committed read to every client, resumable, never doubled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI

from p88.serve import create_app, stream
from p88.store.connect import connect
from p88.store.live import ReadsCommitted, notify
from tests.test_serve_fixtures import SSEClient, at, insert_reads, make_session, running, wait_until


@pytest.fixture
def served(db_url: str) -> Iterator[tuple[FastAPI, str]]:
    app = create_app(db_url)
    with running(app) as base:
        wait_until(lambda: app.state.hub.listening and app.state.hub.floor is not None)
        yield app, base


def test_every_client_gets_every_read(
    served: tuple[FastAPI, str], conn: psycopg.Connection[Any]
) -> None:
    app, base = served
    sid = make_session(conn)
    clients = [SSEClient(base + "/api/timing/stream") for _ in range(3)]
    try:
        wait_until(lambda: len(app.state.hub.subscribers) == 3)
        first = insert_reads(conn, sid, [("start", "1", at(0)), ("start", "2", at(1))])
        second = insert_reads(conn, sid, [("finish", "1", at(60))])
        for client in clients:
            events = client.take(3)
            assert [int(e.id or 0) for e in events] == first + second
            data = events[2].json()
            assert data["id"] == second[0] and data["tag_code"] == "1"
            assert data["read_time"] == "08:01:00.00"
            assert data["session_name"] == "Session_20260503_080000"
            assert data["location_description"] == "Finish Line"
            assert client.status == 200
    finally:
        for client in clients:
            client.close()


def test_reconnect_with_last_event_id_gets_what_it_missed(
    served: tuple[FastAPI, str], conn: psycopg.Connection[Any]
) -> None:
    app, base = served
    sid = make_session(conn)
    with SSEClient(base + "/api/timing/stream") as client:
        wait_until(lambda: len(app.state.hub.subscribers) == 1)
        seen = insert_reads(conn, sid, [("start", "1", at(0))])
        (event,) = client.take(1)
        assert int(event.id or 0) == seen[0]
    missed = insert_reads(conn, sid, [("start", "2", at(1)), ("start", "3", at(2))])
    headers = {"Last-Event-ID": str(seen[0])}
    with SSEClient(base + "/api/timing/stream", headers) as again:
        caught_up = again.take(2)
        assert [int(e.id or 0) for e in caught_up] == missed
        live = insert_reads(conn, sid, [("finish", "1", at(90))])
        assert [int(e.id or 0) for e in again.take(1)] == live
        assert again.events.empty()  # nothing doubled between catch-up and live


def test_late_commit_of_a_lower_id_is_still_delivered(
    served: tuple[FastAPI, str], conn: psycopg.Connection[Any], db_url: str
) -> None:
    """Two writers: the one holding the lower id commits last. Both reads arrive, once.

    (Different locations: writers of the same session and location queue on that
    location's totals row until commit, see sql/005_serve.sql.)"""
    app, base = served
    sid = make_session(conn)
    with SSEClient(base + "/api/timing/stream") as client, connect(db_url) as slow:
        wait_until(lambda: len(app.state.hub.subscribers) == 1)
        row = slow.execute(
            "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time,"
            " read_timestamp) VALUES (%s, 'finish', 'slow', '08:00', %s) RETURNING id",
            (sid, at(5)),
        ).fetchone()
        assert row is not None
        fast = insert_reads(conn, sid, [("start", "fast", at(6))])
        assert int(client.take(1)[0].id or 0) == fast[0]
        notify(slow, ReadsCommitted((sid,), row[0], 1))
        slow.commit()
        (late,) = client.take(1)
        assert int(late.id or 0) == row[0] < fast[0]
        insert_reads(conn, sid, [("start", "next", at(7))])
        assert [e.json()["tag_code"] for e in client.take(1)] == ["next"]


def test_filters_and_heartbeat(
    served: tuple[FastAPI, str], conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, base = served
    monkeypatch.setattr(stream, "HEARTBEAT_S", 0.2)
    sid = make_session(conn)
    other = make_session(conn, "Other")
    url = f"{base}/api/timing/stream?session_id={sid}&location=finish"
    with SSEClient(url) as client:
        wait_until(lambda: len(app.state.hub.subscribers) == 1)
        insert_reads(conn, other, [("finish", "x", at(1))])
        insert_reads(conn, sid, [("start", "y", at(1))])
        wanted = insert_reads(conn, sid, [("finish", "z", at(2))])
        assert [int(e.id or 0) for e in client.take(1)] == wanted
        wait_until(lambda: ": keepalive" in client.comments, timeout=3)


def test_catch_up_pages_past_the_limit_and_hands_over_between_connections(
    served: tuple[FastAPI, str], conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """2,500 missed reads, at most 2,000 per connection: two connections, nothing lost."""
    _, base = served
    monkeypatch.setattr(stream, "CATCHUP_PER_CONNECTION", 2000)
    sid = make_session(conn)
    conn.execute(
        "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_timestamp)"
        " SELECT %s, 'start', i::text, '08:00', timestamp '2026-05-03 08:00' + i * interval '1 ms'"
        " FROM generate_series(1, 2500) i",
        (sid,),
    )
    with SSEClient(base + "/api/timing/stream?last_event_id=0") as client:
        first = client.take(2000, timeout=20)
        client.finished.wait(10)
        assert client.finished.is_set() and client.events.empty()  # the server ended it
    assert "retry: 100" in client.retry_lines
    last = first[-1].id or ""
    with SSEClient(base + "/api/timing/stream", {"Last-Event-ID": last}) as again:
        rest = again.take(500, timeout=20)
        live = insert_reads(conn, sid, [("finish", "x", at(5))])
        assert [int(e.id or 0) for e in again.take(1)] == live
    ids = [int(e.id or 0) for e in first + rest]
    assert ids == sorted(set(ids)) and len(ids) == 2500
