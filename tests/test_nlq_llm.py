"""The --llm fallback against a fake Ollama-compatible server on loopback that returns good
frames, good SQL and hostile SQL: whatever it says passes the same guard."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest

from p88.errors import P88Error, RefusedError
from p88.nlq import Catalog, NotUnderstood, ask
from p88.nlq.llm import ModelError
from tests.nlq_suite import TODAY, catalog, history_conn, history_url, norm_rows

__all__ = ["catalog", "history_conn", "history_url"]

QUESTION = "gimme the tally of folks who completed chicago in 2023"


class FakeModel:
    """What the fake server answers: a frame (JSON) and SQL, and what it was asked."""

    def __init__(self) -> None:
        self.frame: dict[str, Any] = {}
        self.sql: str | None = None
        self.requests: list[dict[str, Any]] = []


@pytest.fixture
def fake_llm() -> Iterator[tuple[str, FakeModel]]:
    model = FakeModel()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            model.requests.append(body)
            if self.path != "/api/generate":
                self.send_response(404)
                self.end_headers()
                return
            if body["prompt"].startswith("Fill this JSON frame"):
                response = json.dumps(model.frame)
            else:
                response = json.dumps({"sql": model.sql} if model.sql else {})
            data = json.dumps({"model": body["model"], "response": response, "done": True})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", model
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _ask(
    conn: psycopg.Connection[Any], catalog: Catalog, url: str, q: str = QUESTION, **kw: Any
) -> Any:
    return ask(q, conn, catalog=catalog, today=TODAY, llm_url=url, **kw)


def test_without_llm_the_question_is_refused(
    history_conn: psycopg.Connection[Any], catalog: Catalog
) -> None:
    with pytest.raises(NotUnderstood):
        ask(QUESTION, history_conn, catalog=catalog, today=TODAY)


def test_a_good_frame_is_compiled_and_marked_model_assisted(
    history_conn: psycopg.Connection[Any], catalog: Catalog, fake_llm: tuple[str, FakeModel]
) -> None:
    url, model = fake_llm
    model.frame = {"metric": "count", "series": "Chicago Marathon", "year_from": 2023}
    model.frame["year_to"] = 2023
    answer = _ask(history_conn, catalog, url)
    expected = history_conn.execute(
        "SELECT count(*) FROM ct_results r JOIN ct_events e ON e.id = r.event_id "
        "WHERE e.name = 'Chicago Marathon' AND extract(year FROM e.event_date) = 2023 "
        "AND r.status = 'finished'"
    ).fetchall()
    assert answer.rows == expected and answer.model_assisted
    assert answer.understood.startswith("Model-assisted")
    request = model.requests[0]
    assert request["options"]["temperature"] == 0 and request["format"] == "json"


def test_good_sql_from_the_model_runs_through_the_guard(
    history_conn: psycopg.Connection[Any], catalog: Catalog, fake_llm: tuple[str, FakeModel]
) -> None:
    url, model = fake_llm
    model.sql = "SELECT count(*) AS n FROM ct_events WHERE state = 'OH'"
    answer = _ask(history_conn, catalog, url)
    assert answer.sql.endswith("LIMIT 100") and answer.model_assisted
    want = history_conn.execute("SELECT count(*) FROM ct_events WHERE state = 'OH'").fetchall()
    assert norm_rows(answer.rows) == norm_rows(want)


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("SELECT 1; DROP TABLE ct_results", "one-statement"),
        ("WITH d AS (DELETE FROM ct_results RETURNING 1) SELECT count(*) FROM d", "read-only"),
        ("SELECT usename, passwd FROM pg_shadow", "tables"),
        ("SELECT pg_sleep(30)", "functions"),
        ("SELECT email FROM ct_participants", "columns"),
        ("SELECT p.email AS email FROM ct_participants p", "columns"),
        (
            "WITH t(email) AS (SELECT 1) SELECT p.email FROM ct_participants p JOIN t ON true",
            "columns",
        ),
        ("SELECT r.raw_data AS raw_data FROM timing_reads r", "columns"),
        ("SELECT * FROM ct_results LIMIT ALL", "limit"),
        ("SELECT count(*) FROM ct_results a, ct_results b, ct_results c", "cross-join"),
    ],
)
def test_hostile_sql_from_the_model_is_refused(
    history_conn: psycopg.Connection[Any],
    catalog: Catalog,
    fake_llm: tuple[str, FakeModel],
    sql: str,
    rule: str,
) -> None:
    url, model = fake_llm
    model.sql = sql
    with pytest.raises(RefusedError) as info:
        _ask(history_conn, catalog, url)
    assert info.value.rule == rule
    assert history_conn.execute("SELECT count(*) FROM ct_results").fetchone() == (20_000,)


def test_model_sql_reading_other_tenants_is_rewritten_to_the_partner(
    history_conn: psycopg.Connection[Any], catalog: Catalog, fake_llm: tuple[str, FakeModel]
) -> None:
    url, model = fake_llm
    model.frame = {"metric": "count", "series": "Chicago Marathon"}  # not Big River's
    model.sql = "SELECT count(*) FROM ct_events WHERE partner_id <> 1"  # others' events
    answer = _ask(history_conn, catalog, url, "gimme the tally of shindigs", partner="bigriver")
    assert answer.rows == [(0,)]
    assert "partner_id = 1" in answer.sql


def test_a_partner_naming_another_partners_event_never_reaches_the_model(
    history_conn: psycopg.Connection[Any], catalog: Catalog, fake_llm: tuple[str, FakeModel]
) -> None:
    url, model = fake_llm
    with pytest.raises(P88Error, match="not among your events"):
        _ask(history_conn, catalog, url, partner="bigriver")
    assert model.requests == []


def test_an_unreachable_model_is_one_clear_error(
    history_conn: psycopg.Connection[Any], catalog: Catalog
) -> None:
    with pytest.raises(ModelError, match="did not answer"):
        _ask(history_conn, catalog, "http://127.0.0.1:9")
