"""Binding and tokens: open on loopback only, partners see only their own sessions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from p88.cli.main import app as cli
from p88.errors import ConfigError
from p88.serve import check_binding, create_app, load_tokens
from p88.serve.run import is_loopback
from tests.test_serve_fixtures import (
    SSEClient,
    at,
    insert_reads,
    make_partner,
    make_session,
    running,
    wait_until,
)

ACME = "acme-token-0123456789"
BOLT = "bolt-token-0123456789"
HUB = "hub-operator-token-0123"
GHOST = "ghost-partner-token-99"


def test_loopback_is_open_anything_else_needs_tokens(tmp_path: Path) -> None:
    assert check_binding("127.0.0.1", None) is None
    assert check_binding("::1", None) is None and is_loopback("localhost")
    for host in ("0.0.0.0", "192.168.1.20", "timing.example.org", "::"):
        with pytest.raises(ConfigError, match="would open every partner") as raised:
            check_binding(host, None)
        assert raised.value.hint and "--token-file" in raised.value.hint
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# hub\n{HUB} *\n{ACME} acme  # Acme Timing\n{BOLT} 42\n")
    grants = check_binding("0.0.0.0", tokens)
    assert grants is not None
    assert {t: g.partner for t, g in grants.items()} == {HUB: None, ACME: "acme", BOLT: 42}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no token"),
        ("short acme\n", "shorter than 16"),
        (f"{ACME}\n", "expected '<token> <partner>'"),
        (f"{ACME} acme\n{ACME} bolt\n", "the same token appears twice"),
    ],
)
def test_bad_token_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tokens"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_tokens(path)


def test_cli_refuses_a_public_bind_without_tokens(p88_env: str) -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: binding 0.0.0.0 would open every partner")
    assert result.stderr.count("\n") == 1


def test_cli_refuses_a_bad_port_before_touching_the_database(tmp_path: Path) -> None:
    env = {"P88_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
           "P88_CONFIG": str(tmp_path / "none.toml")}  # fmt: skip
    result = CliRunner().invoke(cli, ["serve", "--port", "99999"], env=env)
    assert result.exit_code == 1  # not 3: the unreachable database was never tried
    assert result.stderr == "Error: port 99999 is not a TCP port\n"


@pytest.fixture
def tenants(
    db_url: str, conn: psycopg.Connection[Any]
) -> Iterator[tuple[str, dict[str, int], FastAPI]]:
    acme, bolt = make_partner(conn, "acme"), make_partner(conn, "bolt")
    ids = {
        "acme": make_session(conn, "Acme 10K", partner_id=acme),
        "bolt": make_session(conn, "Bolt Half", partner_id=bolt),
    }
    insert_reads(conn, ids["acme"], [("finish", "11", at(1))])
    insert_reads(conn, ids["bolt"], [("finish", "22", at(2)), ("finish", "23", at(3))])
    grants = {ACME: "acme", BOLT: str(bolt), HUB: "*", GHOST: "nobody"}
    app = create_app(db_url, tokens={t: _grant(p) for t, p in grants.items()})
    with running(app) as base:
        wait_until(lambda: app.state.hub.floor is not None)
        yield base, ids, app


def _grant(partner: str) -> Any:
    from p88.serve.auth import Grant

    if partner == "*":
        return Grant(None)
    return Grant(int(partner) if partner.isdigit() else partner)


def _get(base: str, path: str, token: str | None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(base + path, headers=headers, params=params, timeout=10)


def test_tokens_scope_every_endpoint(tenants: tuple[str, dict[str, int], FastAPI]) -> None:
    base, ids, _ = tenants
    missing = _get(base, "/api/timing/sessions", None)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert _get(base, "/api/timing/sessions", "wrong-token-wrong-token").status_code == 401
    assert _get(base, "/health", None).status_code == 200

    def names(token: str) -> list[str]:
        body = _get(base, "/api/timing/sessions", token).json()
        return sorted(s["session_name"] for s in body["sessions"])

    assert names(ACME) == ["Acme 10K"]
    assert names(BOLT) == ["Bolt Half"]
    assert names(HUB) == ["Acme 10K", "Bolt Half"]
    assert names(GHOST) == []

    tags = [r["tag_code"] for r in _get(base, "/api/timing/recent-reads", ACME).json()["reads"]]
    assert tags == ["11"]
    by_query = httpx.get(base + "/api/timing/recent-reads", params={"token": BOLT}, timeout=10)
    assert [r["tag_code"] for r in by_query.json()["reads"]] == ["23", "22"]
    assert _get(base, "/api/timing/stats", ACME).json()["overall"]["total_reads"] == 1
    assert _get(base, "/api/timing/stats", HUB).json()["overall"]["total_reads"] == 3
    status = _get(base, "/api/timing/database-status", BOLT).json()
    assert status["current_session"] == ids["bolt"]
    other = _get(base, "/api/timing/leaderboard", ACME, session_id=ids["bolt"])
    assert other.status_code == 404  # another partner's session does not exist for you
    own = _get(base, "/api/timing/leaderboard", ACME, session_id=ids["acme"]).json()
    assert [s["tag_code"] for s in own["standings"]] == ["11"]


def test_stream_is_scoped_too(
    tenants: tuple[str, dict[str, int], FastAPI], conn: psycopg.Connection[Any]
) -> None:
    base, ids, app = tenants
    with (
        SSEClient(f"{base}/api/timing/stream?token={ACME}") as acme,
        SSEClient(f"{base}/api/timing/stream?token={HUB}") as hub,
    ):
        assert acme.status == 200 and hub.status == 200
        wait_until(lambda: len(app.state.hub.subscribers) == 2)
        bolt_read = insert_reads(conn, ids["bolt"], [("finish", "24", at(4))])
        acme_read = insert_reads(conn, ids["acme"], [("finish", "12", at(5))])
        assert [int(e.id or 0) for e in hub.take(2)] == bolt_read + acme_read
        assert [int(e.id or 0) for e in acme.take(1)] == acme_read
        assert acme.events.empty()
    with SSEClient(f"{base}/api/timing/stream?token={ACME}&last_event_id=0") as again:
        assert [e.json()["tag_code"] for e in again.take(2)] == ["11", "12"]
