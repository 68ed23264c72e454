"""Session naming and continuation, the auth file, the loopback default, the live status."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rich.console import Console

from p88.cli.listen import _render
from p88.errors import ConfigError
from p88.listener import ListenOptions, load_auth_file
from tests.test_listener_support import ScriptedClient, options, running, scalar, wait_for


def test_default_session_is_continued_after_a_restart(db_url: str, tmp_path: Path) -> None:
    line = b"CT01_33~%d~FINISH~12~2024-12-14T08:38:58.%02d~1~0FA22E~4\r\n"

    async def one_run(seq: int) -> str:
        async with running(db_url, options(tmp_path, session=None)) as listener:
            client = ScriptedClient(listener.server.bound_port, event="~0~")  # type: ignore[union-attr]
            await client.connect()
            await asyncio.wait_for(client.started.wait(), 10)
            await client.send(line % (seq, seq))
            await wait_for(lambda: listener.writer.stats.committed == 1)
            text = Console(width=120, record=True)
            text.print(_render(listener))
            assert "FINISH tag 12" in text.export_text()
            await client.close()
            return listener.session

    first = asyncio.run(one_run(1))
    second = asyncio.run(one_run(2))
    assert first == second and first.startswith("Session_")
    assert scalar(db_url, "SELECT count(*) FROM timing_sessions") == 1
    assert scalar(db_url, "SELECT count(*) FROM timing_reads") == 2
    assert scalar(db_url, "SELECT timezone FROM timing_sessions") == "America/New_York"


def test_auth_file(tmp_path: Path) -> None:
    good = tmp_path / "users"
    good.write_text("# timing crew\nTimersRus:secret\n\nbackup: s3cr3t \n")
    assert load_auth_file(good) == {"TimersRus": "secret", "backup": "s3cr3t"}
    bad = tmp_path / "bad"
    bad.write_text("no-colon-here\n")
    with pytest.raises(ConfigError, match="bad:1: expected user:password"):
        load_auth_file(bad)
    with pytest.raises(ConfigError, match="cannot read auth file"):
        load_auth_file(tmp_path / "missing")


def test_loopback_by_default() -> None:
    opts = ListenOptions(spool_dir=Path("spool"))
    assert (opts.host, opts.port, opts.open_to_network) == ("127.0.0.1", 61611, False)
    assert ListenOptions(spool_dir=Path("s"), host="0.0.0.0").open_to_network
    assert not ListenOptions(spool_dir=Path("s"), host="::1").open_to_network


def test_gil_switch_interval_is_fast_while_any_listener_runs_then_restored() -> None:
    import sys

    from p88.listener import SWITCH_INTERVAL, _fast_switching

    before = sys.getswitchinterval()
    with _fast_switching():
        with _fast_switching():  # a second listener in the same process
            assert sys.getswitchinterval() == min(before, SWITCH_INTERVAL)
        assert sys.getswitchinterval() == min(before, SWITCH_INTERVAL)  # one still runs
    assert sys.getswitchinterval() == before
