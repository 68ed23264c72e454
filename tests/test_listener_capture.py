"""The real capture through a real socket into a real PostgreSQL: exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.test_listener_support import (
    ScriptedClient,
    capture_lines,
    options,
    running,
    scalar,
    wait_for,
)

COUNT = "SELECT count(*) FROM timing_reads"


def test_capture_streamed_twice_is_stored_once(db_url: str, captures_dir: Path) -> None:
    lines = capture_lines(captures_dir)

    async def main() -> None:
        async with running(db_url, options(Path(captures_dir.parent) / "unused")) as listener:
            first = ScriptedClient(listener.server.bound_port, connection_id="abc")  # type: ignore[union-attr]
            await first.connect()
            await asyncio.wait_for(first.started.wait(), 10)
            assert first.starts == {"MINI11992": None}
            await first.send(b"".join(lines))
            await wait_for(lambda: listener.writer.stats.committed == 8859)
            await first.close()
            # the same capture again under a new connection id (numbering restarted)
            again = ScriptedClient(listener.server.bound_port, connection_id="other")  # type: ignore[union-attr]
            await again.connect()
            await asyncio.wait_for(again.started.wait(), 10)
            await again.send(b"".join(lines))
            await wait_for(lambda: listener.writer.stats.duplicates == 8859)
            await again.close()
            # the first stream reconnecting is asked to resume after its last committed seq
            back = ScriptedClient(listener.server.bound_port, connection_id="abc")  # type: ignore[union-attr]
            await back.connect()
            await asyncio.wait_for(back.started.wait(), 10)
            assert back.starts == {"MINI11992": 8860}
            await back.close()

    asyncio.run(main())
    assert scalar(db_url, COUNT) == 8859
    assert scalar(db_url, "SELECT count(DISTINCT tag_code) FROM timing_reads") == 3376
    assert scalar(db_url, "SELECT count(*) FROM timing_sessions WHERE session_name = 'race'") == 1
    assert scalar(db_url, "SELECT count(*) FROM connection_log") == 3
    row = scalar(
        db_url,
        "SELECT json_build_array(greeting, connection_id, read_count, duplicate_count,"
        " disconnected_at IS NOT NULL, session_info) FROM connection_log ORDER BY id LIMIT 1",
    )
    assert row[:5] == ["SimpleClient~0.6.0~CTP01", "abc", 8859, 0, True]
    assert row[5]["locations"] == ["MINI11992"]
    assert row[5]["event"]["name"] == "Test Race"
    assert (
        scalar(db_url, "SELECT last_sequence FROM client_streams WHERE connection_id='abc'") == 8859
    )
