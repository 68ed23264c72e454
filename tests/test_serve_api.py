"""The seed's endpoints over real HTTP on a real database: shapes, validation, leaderboard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from p88.serve import create_app
from p88.store import MAX_LIMIT
from tests.test_serve_fixtures import at, insert_reads, make_partner, make_session, running


@pytest.fixture
def api(db_url: str) -> Iterator[httpx.Client]:
    with running(create_app(db_url)) as base, httpx.Client(base_url=base, timeout=10) as client:
        yield client


def test_seed_shapes(api: httpx.Client, conn: psycopg.Connection[Any]) -> None:
    sid = make_session(conn)
    ids = insert_reads(conn, sid, [("start", "12345", at(0.129)), ("finish", "12345", at(3725.5))])

    status = api.get("/api/timing/database-status").json()
    assert status["database_enabled"] is True and status["connected"] is True
    assert status["current_session"] == sid and status["error"] is None
    assert status["database_version"].startswith("PostgreSQL")

    sessions = api.get("/api/timing/sessions").json()
    assert sessions["success"] is True
    (s,) = sessions["sessions"]
    assert {"id", "session_name", "event_name", "status", "created_at", "total_reads"} <= set(s)
    assert (s["id"], s["total_reads"], s["status"]) == (sid, 2, "active")

    stats = api.get("/api/timing/stats").json()
    assert stats["success"] is True and "generated_at" in stats
    assert stats["overall"] == {
        "total_reads": 2,
        "unique_tags": 1,
        "total_locations": 2,
        "first_read": "2026-05-03T08:00:00.129000",
        "last_read": "2026-05-03T09:02:05.500000",
    }
    assert stats["by_location"][0] == {
        "location_name": "finish",
        "read_count": 1,
        "unique_tags": 1,
        "last_read": "2026-05-03T09:02:05.500000",
    }

    recent = api.get("/api/timing/recent-reads", params={"limit": 50}).json()
    assert recent["success"] is True and "timestamp" in recent
    newest, oldest = recent["reads"]
    assert newest["id"] == ids[1] and oldest["id"] == ids[0]
    assert oldest["read_time"] == "08:00:00.12"  # to the hundredth, truncated
    assert oldest["read_timestamp"] == "2026-05-03T08:00:00.129000"
    assert oldest["location_description"] == "Starting Line"
    assert oldest["session_name"] == "Session_20260503_080000"
    assert isinstance(oldest["seconds_ago"], float) and oldest["seconds_ago"] >= 0
    for column in (
        "session_id",
        "location_id",
        "sequence_number",
        "tag_code",
        "read_date",
        "lap_count",
        "reader_id",
        "gator_number",
        "raw_data",
        "processed_at",
    ):
        assert column in oldest


def test_filters_and_cap(api: httpx.Client, conn: psycopg.Connection[Any]) -> None:
    sid = make_session(conn)
    conn.execute(
        "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_timestamp)"
        " SELECT %s, 'start', i::text, '08:00', timestamp '2026-05-03 08:00' + i * interval '1 ms'"
        " FROM generate_series(1, %s) i",
        (sid, MAX_LIMIT + 5),
    )
    big = api.get("/api/timing/recent-reads", params={"limit": 10**6}).json()
    assert len(big["reads"]) == MAX_LIMIT
    assert [
        r["tag_code"]
        for r in api.get("/api/timing/recent-reads", params={"tag": "7"}).json()["reads"]
    ] == ["7"]
    assert api.get("/api/timing/recent-reads", params={"location": "finish"}).json()["reads"] == []
    assert api.get("/api/timing/recent-reads", params={"session_id": sid + 1}).json()["reads"] == []
    assert (
        api.get("/api/timing/stats", params={"session_id": sid}).json()["overall"]["total_reads"]
        == MAX_LIMIT + 5
    )


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/timing/recent-reads", {"limit": "abc"}),
        ("/api/timing/recent-reads", {"limit": "0"}),
        ("/api/timing/recent-reads", {"limit": "-5"}),
        ("/api/timing/recent-reads", {"session_id": "99999999999"}),
        ("/api/timing/recent-reads", {"session_id": "1.5"}),
        ("/api/timing/recent-reads", {"tag": "a\x00b"}),
        ("/api/timing/recent-reads", {"location": "x" * 101}),
        ("/api/timing/stats", {"session_id": "-1"}),
        ("/api/timing/leaderboard", {"limit": "1e9"}),
        ("/api/timing/stream", {"last_event_id": "nope"}),
    ],
)
def test_bad_parameters_are_422_json(api: httpx.Client, path: str, params: dict[str, str]) -> None:
    response = api.get(path, params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["success"] is False and body["error"] == "invalid parameter"
    assert body["detail"][0]["loc"][0] == "query"


def test_bad_last_event_id_header_and_unknown_path(api: httpx.Client) -> None:
    response = api.get("/api/timing/stream", headers={"Last-Event-ID": "12; DROP"})
    assert response.status_code == 400
    assert response.json()["error"] == "Last-Event-ID must be a read id (digits)"
    missing = api.get("/api/timing/nothing")
    assert missing.status_code == 404 and missing.json()["success"] is False


def test_leaderboard_first_crossing(api: httpx.Client, conn: psycopg.Connection[Any]) -> None:
    sid = make_session(conn)
    conn.execute(
        "INSERT INTO timing_gun_events (session_id, location_name, gun_timestamp) "
        "VALUES (%s, 'start', %s)",
        (sid, at(0)),
    )
    insert_reads(
        conn,
        sid,
        [
            ("start", "1", at(2)),
            ("finish", "1", at(3600.456)),
            ("finish", "1", at(3600.9)),
            ("finish", "2", at(3500)),
            ("finish", "3", at(4000)),
        ],
    )
    board = api.get("/api/timing/leaderboard").json()
    assert board["source"] == "first_crossing"
    assert (board["session_id"], board["location"]) == (sid, "finish")
    assert board["locations"] == ["start", "finish"]  # course order: as declared
    assert [(s["place"], s["tag_code"], s["elapsed"]) for s in board["standings"]] == [
        (1, "2", "0:58:20.00"),
        (2, "1", "1:00:00.45"),  # truncated to the hundredth, as timing does
        (3, "3", "1:06:40.00"),
    ]
    start = api.get("/api/timing/leaderboard", params={"location": "start", "limit": 1}).json()
    assert [s["tag_code"] for s in start["standings"]] == ["1"]
    gone = api.get("/api/timing/leaderboard", params={"session_id": sid + 100})
    assert gone.status_code == 404 and gone.json()["error"] == "no such session"


def test_health_docs_and_page(api: httpx.Client) -> None:
    health = api.get("/health").json()
    assert health["status"] == "ok" and health["database"] == "ok"
    assert api.get("/docs").status_code == 200
    spec = api.get("/openapi.json").json()
    assert "/api/timing/stream" in spec["paths"] and "/api/timing/recent-reads" in spec["paths"]
    page = api.get("/")
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/index.js"' in page.text  # its code is a file, not inline
    assert "EventSource" in api.get("/static/common.js").text


def test_no_tables_is_503_not_500(empty_db_url: str) -> None:
    with running(create_app(empty_db_url)) as base:
        response = httpx.get(base + "/api/timing/stats", timeout=10)
    assert response.status_code == 503
    assert "p88 db migrate" in response.json()["detail"]


def test_race_leaderboard_from_results_scoring(
    api: httpx.Client, conn: psycopg.Connection[Any]
) -> None:
    """Reads -> p88's results scoring (the results library) -> the race's standings."""
    from p88.store.results import score_race

    partner = make_partner(conn, "acme")
    sid = make_session(conn, partner_id=partner)
    event = conn.execute(
        "INSERT INTO ct_events (partner_id, name, event_date) VALUES (%s, 'Acme 10K', "
        "'2026-05-03') RETURNING id",
        (partner,),
    ).fetchone()[0]  # type: ignore[index]
    race = conn.execute(
        "INSERT INTO ct_races (partner_id, event_id, name, distance_m, start_time, session_id)"
        " VALUES (%s, %s, '10K', 10000, %s, %s) RETURNING id",
        (partner, event, at(0), sid),
    ).fetchone()[0]  # type: ignore[index]
    runners = [
        ("101", "Ann", "Lee", "F", 1990),
        ("102", "Bob", "Ray", "M", 1985),
        ("103", "Cy", "Day", "M", 1970),
    ]
    for bib, first, last, sex, born in runners:
        person = conn.execute(
            "INSERT INTO ct_participants (first_name, last_name, sex, birth_year) "
            "VALUES (%s, %s, %s, %s) RETURNING id",
            (first, last, sex, born),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib, sex)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (partner, event, race, person, bib, sex),
        )
    insert_reads(
        conn,
        sid,
        [("start", b, at(1)) for b in ("101", "102", "103")]
        + [
            ("finish", "102", at(2400.25)),
            ("finish", "101", at(2500)),
            ("finish", "103", at(2300)),
        ],
    )
    score_race(conn, race)

    board = api.get("/api/timing/leaderboard", params={"race_id": race}).json()
    assert board["source"] == "results" and board["race"]["name"] == "10K"
    assert [(s["place"], s["bib"], s["name"]) for s in board["standings"]] == [
        (1, "103", "Cy Day"),
        (2, "102", "Bob Ray"),
        (3, "101", "Ann Lee"),
    ]
    men = api.get("/api/timing/leaderboard", params={"race_id": race, "sex": "M"}).json()
    assert [(s["place"], s["bib"]) for s in men["standings"]] == [(1, "103"), (2, "102")]
    session_board = api.get("/api/timing/leaderboard", params={"session_id": sid}).json()
    assert session_board["races"] == [
        {"id": race, "name": "10K", "event_name": "Acme 10K", "distance_m": 10000}
    ]
    both = api.get("/api/timing/leaderboard", params={"race_id": race, "session_id": sid})
    assert both.status_code == 400
    assert api.get("/api/timing/leaderboard", params={"race_id": race + 9}).status_code == 404
