"""The listener under network stress: fragments, many clients, floods, idlers, auth."""

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


def test_fragmented_segments_32_clients_and_a_malformed_flood(
    db_url: str, captures_dir: Path, tmp_path: Path
) -> None:
    lines = capture_lines(captures_dir)
    slices = [lines[i::32] for i in range(32)]

    async def main() -> None:
        async with running(db_url, options(tmp_path)) as listener:
            port = listener.server.bound_port  # type: ignore[union-attr]
            # one client sends 400 lines in pieces of 1..13 bytes, each written separately
            frag = ScriptedClient(port, connection_id="frag")
            await frag.connect()
            await asyncio.wait_for(frag.started.wait(), 10)
            data = b"".join(lines[:400])
            pos, size = 0, 1
            while pos < len(data):
                await frag.send(data[pos : pos + size])
                pos += size
                size = size % 13 + 1
                if pos % 97 == 0:
                    await asyncio.sleep(0)
            # 32 clients at once, each a slice of the capture, plus one flooding garbage
            clients = [ScriptedClient(port, connection_id=f"c{i}") for i in range(32)]
            flood = ScriptedClient(port, connection_id="flood")
            await asyncio.gather(*(c.connect() for c in [*clients, flood]))
            await asyncio.gather(
                *(asyncio.wait_for(c.started.wait(), 10) for c in [*clients, flood])
            )
            garbage = (
                b"".join(
                    b"CT01_33~%d~X~1~25:99:00.00~1~A~1\r\nnot ctp01 at all\r\n\xff\xfe\r\n" % i
                    for i in range(1000)
                )
                + b"Z" * 10000
                + b"\r\n"
            )
            await asyncio.gather(
                flood.send(garbage),
                *(c.send(b"".join(part)) for c, part in zip(clients, slices, strict=True)),
            )
            await wait_for(lambda: listener.writer.stats.committed == 8859)
            await wait_for(lambda: listener.writer.stats.rejects == 3001)
            # the flood's connection is still open and still works
            await flood.send(b"ping\r\n")
            await wait_for(lambda: b"ack~ping\r\n" in flood.received)
            assert len(listener.status().connections) == 34
            for c in [frag, flood, *clients]:
                await c.close()

    asyncio.run(main())
    assert scalar(db_url, "SELECT count(*) FROM timing_reads") == 8859
    assert scalar(db_url, "SELECT count(*) FROM timing_reads WHERE connection_id = 'frag'") == 400
    assert scalar(db_url, "SELECT count(*) FROM rejected_lines") == 3001
    assert scalar(db_url, "SELECT count(DISTINCT source) FROM rejected_lines") == 1
    assert (
        bytes(scalar(db_url, "SELECT raw_line FROM rejected_lines ORDER BY id OFFSET 2 LIMIT 1"))
        == b"\xff\xfe"
    )
    assert (
        scalar(db_url, "SELECT reject_count FROM connection_log WHERE connection_id = 'flood'")
        == 3001
    )


def test_idle_and_non_ctp01_clients_are_closed(db_url: str, tmp_path: Path) -> None:
    async def main() -> None:
        opts = options(tmp_path, greeting_timeout=0.3, ping_interval=0.2, idle_timeout=60)
        async with running(db_url, opts) as listener:
            port = listener.server.bound_port  # type: ignore[union-attr]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert await asyncio.wait_for(reader.read(), 5) == b""  # silent: closed
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"@Store@1208@AckPing@\r\n")  # SimpleClient in DataBag mode
            assert await asyncio.wait_for(reader.read(), 5) == b""
            writer.close()
            # a client that handshakes and then stops answering pings: a dead link
            deaf = ScriptedClient(port, connection_id="deaf")
            await deaf.connect()
            await asyncio.wait_for(deaf.started.wait(), 10)
            assert deaf._task is not None
            deaf._task.cancel()  # stops reading and answering
            await wait_for(lambda: not listener.status().connections, timeout=10)

    asyncio.run(main())
    reasons = scalar(db_url, "SELECT array_agg(close_reason ORDER BY id) FROM connection_log")
    assert "no greeting" in reasons[0]
    assert "not a CTP01 client greeting" in reasons[1]
    assert "pings unanswered" in reasons[2]


def test_auth_new_locations_and_gun_times_over_the_socket(db_url: str, tmp_path: Path) -> None:
    async def main() -> None:
        opts = options(tmp_path, users={"TimersRus": "secret"}, auth_method="seed-md5",
                       session=None)  # fmt: skip
        async with running(db_url, opts) as listener:
            port = listener.server.bound_port  # type: ignore[union-attr]
            bad = ScriptedClient(port, user="TimersRus", password="wrong")
            await bad.connect()
            await asyncio.wait_for(bad.closed.wait(), 5)
            assert bad.received == [b"err~authorize~invalid password\r\n"]
            good = ScriptedClient(port, user="TimersRus", password="secret", locations=("start",),
                                  event="CITY10K~0~City 10K")  # fmt: skip
            await good.connect()
            await asyncio.wait_for(good.started.wait(), 10)
            await good.send(
                b"CT01_33~1~start~GUNTIME~2024-12-14T08:00:00.00~0~DF239A~0\r\n"
                b"CT01_33~2~30k~newlocation~00:00:00.00~0~0~0\r\n"
            )
            await wait_for(lambda: "30k" in good.starts)
            await good.send(b"CT01_33~3~30k~1208~2024-12-14T08:40:00.12~1~12057E~4\r\n")
            await wait_for(lambda: listener.writer.stats.committed == 1)
            await good.close()

    asyncio.run(main())
    assert scalar(
        db_url, "SELECT session_name FROM timing_sessions WHERE event_name='CITY10K'"
    ) == ("CITY10K")
    assert scalar(db_url, "SELECT gun_timestamp::text FROM timing_gun_events") == (
        "2024-12-14 08:00:00"
    )
    assert scalar(db_url, "SELECT location_name FROM timing_reads") == "30k"
    infos = scalar(db_url, "SELECT json_agg(session_info ORDER BY id) FROM connection_log")
    assert infos[-1]["locations"] == ["start", "30k"]
