from __future__ import annotations

from typing import Any

import psycopg

from p88.store.connect import connect
from p88.store.live import CHANNEL, ReadsCommitted, notify


def test_payload_round_trips() -> None:
    event = ReadsCommitted((1, 2), 99, 7)
    assert ReadsCommitted.decode(event.encode()) == event


def test_notify_is_delivered_only_after_commit(db_url: str, conn: psycopg.Connection[Any]) -> None:
    with connect(db_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        with conn.transaction():
            notify(conn, ReadsCommitted((1,), 5, 5))
            assert list(listener.notifies(timeout=0.2, stop_after=1)) == []
        got = list(listener.notifies(timeout=2, stop_after=1))
    assert [ReadsCommitted.decode(n.payload) for n in got] == [ReadsCommitted((1,), 5, 5)]


def test_follow_relays_reconnects_and_obeys_lost(
    db_url: str, conn: psycopg.Connection[Any]
) -> None:
    """One LISTEN loop for every reader: notifications, a killed backend, a caller's reset."""
    import asyncio

    from p88.store.live import Connected, Disconnected, follow

    opened: list[str] = []

    async def on_connect() -> None:
        opened.append("open")

    async def go() -> list[object]:
        follower = follow(
            db_url, application_name="p88 follow test", retry_s=(0.05,), health_s=0.2,
            on_connect=on_connect,
        )  # fmt: skip
        seen: list[object] = []
        async for event in follower:
            seen.append(event)
            connects = sum(isinstance(e, Connected) for e in seen)
            if isinstance(event, Connected) and connects == 1:
                with conn.transaction():
                    notify(conn, ReadsCommitted((1,), 7, 1))
            elif isinstance(event, ReadsCommitted):
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'p88 follow test'"
                    " AND datname = current_database()"
                )
            elif isinstance(event, Connected) and connects == 2:
                follower.lost("the caller's own query failed")
            elif connects == 3:
                assert follower.connected
                return seen
        raise AssertionError("follow() ended")

    seen = asyncio.run(asyncio.wait_for(go(), 20))
    kinds = [type(e).__name__ for e in seen]
    assert kinds == ["Connected", "ReadsCommitted", "Disconnected", "Connected",
                     "Disconnected", "Connected"]  # fmt: skip
    assert seen[1] == ReadsCommitted((1,), 7, 1)
    assert isinstance(seen[2], Disconnected) and seen[2].attempt == 1
    assert seen[4] == Disconnected("the caller's own query failed", 1)
    assert opened == ["open"] * 3
