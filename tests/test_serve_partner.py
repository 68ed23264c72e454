"""Partner tokens see their live data: ``--partner`` on the listener and on ``p88 import``
gives sessions their owner, and each partner's token sees its own reads, live and over SSE,
and never another partner's (issue 19, defect 6)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
from typer.testing import CliRunner

from p88.cli.main import app as cli
from p88.serve import create_app
from p88.serve.auth import Grant
from tests.test_listener_support import ScriptedClient, options, running, wait_for
from tests.test_serve_fixtures import SSEClient, make_partner, wait_until
from tests.test_serve_fixtures import running as serving

ACME = "acme-token-0123456789"
BOLT = "bolt-token-0123456789"
LINE = b"CT01_33~%d~FINISH~%d~2024-12-14T08:38:%02d.00~1~0FA22E~4\r\n"


async def _listen(db_url: str, tmp_path: Path, partner: str, session: str, tags: list[int]) -> None:
    opts = options(tmp_path / partner, session=session, partner=partner)
    async with running(db_url, opts) as listener:
        client = ScriptedClient(listener.server.bound_port, event="~0~")  # type: ignore[union-attr]
        await client.connect()
        await asyncio.wait_for(client.started.wait(), 10)
        for n, tag in enumerate(tags, start=1):
            await client.send(LINE % (n, tag, n))
        await wait_for(lambda: listener.writer.stats.committed == len(tags))
        await client.close()


def test_a_partner_token_sees_its_live_reads_and_never_another(
    db_url: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    make_partner(conn, "acme")
    make_partner(conn, "bolt")
    app = create_app(db_url, tokens={ACME: Grant("acme"), BOLT: Grant("bolt")})
    with serving(app) as base:
        wait_until(lambda: app.state.hub.listening and app.state.hub.floor is not None)
        with (
            SSEClient(f"{base}/api/timing/stream", {"Authorization": f"Bearer {ACME}"}) as acme,
            SSEClient(f"{base}/api/timing/stream", {"Authorization": f"Bearer {BOLT}"}) as bolt,
        ):
            wait_until(lambda: len(app.state.hub.subscribers) == 2)
            asyncio.run(_listen(db_url, tmp_path, "acme", "Acme 10K", [11, 12]))
            asyncio.run(_listen(db_url, tmp_path, "bolt", "Bolt Half", [21]))
            assert [e.json()["tag_code"] for e in acme.take(2, timeout=10)] == ["11", "12"]
            assert [e.json()["tag_code"] for e in bolt.take(1, timeout=10)] == ["21"]
            time.sleep(0.5)
            assert acme.events.empty() and bolt.events.empty()

        def names(token: str) -> list[str]:
            got = httpx.get(base + "/api/timing/sessions", params={"token": token}, timeout=5)
            return [s["session_name"] for s in got.json()["sessions"]]

        assert names(ACME) == ["Acme 10K"]
        assert names(BOLT) == ["Bolt Half"]
        recent = httpx.get(base + "/api/timing/recent-reads", params={"token": BOLT}).json()
        assert [r["tag_code"] for r in recent["reads"]] == ["21"]


def test_import_takes_a_partner(
    p88_env: str, conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    acme = make_partner(conn, "acme")
    bolt = make_partner(conn, "bolt")
    capture = tmp_path / "finish.ct33"
    capture.write_bytes(LINE % (1, 31, 1) + LINE % (2, 32, 2))
    runner = CliRunner()
    args = ["import", str(capture), "--session", "Acme Trail", "--date", "2024-12-14"]
    result = runner.invoke(cli, [*args, "--partner", "acme"])
    assert result.exit_code == 0, result.output
    owner = conn.execute("SELECT partner_id FROM timing_sessions WHERE session_name = 'Acme Trail'")
    assert owner.fetchone() == (acme,)
    unknown = runner.invoke(cli, [*args, "--partner", "nobody"])
    assert unknown.exit_code == 1
    assert unknown.stderr == "Error: --partner 'nobody': no timing partner with that code or id\n"
    taken = runner.invoke(cli, [*args, "--partner", str(bolt)])
    assert taken.exit_code == 1
    assert "belongs to another timing partner" in taken.stderr
