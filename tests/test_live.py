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
