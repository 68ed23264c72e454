"""The NLP endpoints over HTTP, on a small synthetic history (p88.history)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from p88.history.generate import HistoryOptions
from p88.history.load import load_history
from p88.serve import create_app
from p88.serve.auth import Grant
from p88.serve.nl import EXAMPLES
from p88.store.connect import connect
from tests.test_serve_fixtures import at, insert_reads, running

HUB = "hub-operator-token-0123"
BIGRIVER = "bigriver-token-0123456"


@pytest.fixture
def nl_api(db_url: str) -> Iterator[httpx.Client]:
    with connect(db_url, autocommit=True) as conn:
        load_history(conn, HistoryOptions(results=3000, seed=7))
        conn.execute(
            "INSERT INTO timing_sessions (id, session_name, partner_id) "
            "SELECT 1, 'Session_test', id FROM timing_partners WHERE code = 'bigriver'"
        )
        insert_reads(conn, 1, [("start", "7", at(0)), ("finish", "7", at(60))])
    tokens = {HUB: Grant(None), BIGRIVER: Grant("bigriver")}
    with (
        running(create_app(db_url, tokens=tokens)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client


def _post(api: httpx.Client, path: str, token: str, **body: Any) -> httpx.Response:
    return api.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def test_examples_are_all_understood(nl_api: httpx.Client) -> None:
    examples = nl_api.get("/api/v1/nl-examples", params={"token": HUB}).json()["examples"]
    assert examples == list(EXAMPLES)
    for question in examples:
        response = _post(nl_api, "/api/v1/nl-explain", BIGRIVER, query=question)
        assert response.status_code == 200, (question, response.text)
        body = response.json()
        assert body["success"] is True and body["sql"].lstrip().upper().startswith(
            ("SELECT", "WITH")
        )
        assert 0 < body["confidence"] <= 1


def test_query_answers_and_tenancy(nl_api: httpx.Client) -> None:
    question = "how many people from Ohio ran our races since 2022"
    mine = _post(nl_api, "/api/v1/nl-query", BIGRIVER, query=question)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["success"] is True and body["columns"] and len(body["rows"]) == 1
    assert "partner_id" in body["sql"]  # the guard's tenant filter is in what ran
    live = _post(nl_api, "/api/v1/nl-query", HUB, query="what's the live read count for session 1")
    assert live.status_code == 200, live.text
    assert live.json()["rows"][0][0] == 2  # the two reads of session 1


def test_questions_it_cannot_answer_are_422(nl_api: httpx.Client) -> None:
    response = _post(nl_api, "/api/v1/nl-query", HUB, query="xyzzy plugh frobnicate")
    assert response.status_code == 422
    body = response.json()
    assert body["success"] is False and body["kind"] == "NotUnderstood" and body["error"]
    empty = _post(nl_api, "/api/v1/nl-query", HUB, query="")
    assert empty.status_code == 422 and empty.json()["error"] == "invalid parameter"
    assert nl_api.post("/api/v1/nl-query", json={"query": "hi"}).status_code == 401
