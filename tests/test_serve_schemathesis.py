"""Property-based: schemathesis drives every operation of the app's own OpenAPI document.

Whatever it generates (odd numbers, huge limits, unicode, missing or malformed values),
the answer must conform to the document and never be a 5xx. The SSE streams are left out
(a valid request never ends); its parameter validation is covered in test_serve_api.
"Schema-valid request rejected" is not checked: some valid-looking requests are rightly
refused (race_id together with session_id; a question p88 does not understand).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from p88.serve import create_app
from p88.store.connect import connect
from tests.test_serve_fixtures import at, insert_reads, make_session, running


@pytest.fixture
def api_schema(db_url: str) -> Iterator[Any]:
    with connect(db_url, autocommit=True) as conn:
        sid = make_session(conn)
        insert_reads(conn, sid, [("start", "1", at(0)), ("finish", "1", at(99.99))])
    with running(create_app(db_url)) as base:
        schema = schemathesis.openapi.from_url(base + "/openapi.json")
        yield schema


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=r"/stream$")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_server_errors(case: Any) -> None:
    response = case.call(timeout=10)
    assert response.status_code < 500, (case.path, case.query, response.text)
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
