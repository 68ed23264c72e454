"""What a live screen has not seen yet: ``new_reads`` (ids and points after an id), the
start of every crossings refresh in ``p88 tui``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from p88 import store
from p88.store import run
from tests.test_tui_data import GUN, add_session, fixed_race, insert_reads


def test_new_reads_after_an_id(conn: psycopg.Connection[Any]) -> None:
    sid = fixed_race(conn)
    ids, points = run(conn, store.new_reads(sid, 0))
    assert len(ids) == 22 and ids == sorted(ids)
    assert points == ["FINISH", "HALF", "START"]
    assert run(conn, store.new_reads(sid, ids[-1])) == ([], [])
    other = add_session(conn, "elsewhere")
    insert_reads(conn, other, [("LAP", "7", GUN)])
    assert run(conn, store.new_reads(sid, ids[-1])) == ([], [])  # another session's
    new = insert_reads(
        conn,
        sid,
        [("HALF", "106", GUN + timedelta(seconds=4600)), ("MILE", "106", GUN)],
    )
    assert run(conn, store.new_reads(sid, ids[-1])) == (new, ["HALF", "MILE"])
    assert run(conn, store.new_reads(sid, new[0])) == (new[1:], ["MILE"])
