"""A 10K for the display tests: a session with start, 5k, finish and check points; a race
with saved points and distances; participants imported from a CSV with Message and VIP
columns (the way a crew loads them); reads committed by the listener's own writer.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from p88 import store
from p88.store import ReadRow, SessionCache, write_batch
from tests.test_serve_fixtures import T0, make_partner, make_session

SESSION = "Session_20260503_080000"
POINTS = {"start": "Start", "5k": "5K split", "finish": "Finish Line", "check": "Chip check"}


@dataclass(frozen=True)
class Runner:
    bib: str
    first: str
    last: str
    sex: str
    age: int
    city: str
    message: str = ""
    vip: bool = False


@dataclass(frozen=True)
class Race:
    session_id: int
    race_id: int
    partner_id: int


def make_race(conn: psycopg.Connection[Any], tmp_path: Path, runners: Iterable[Runner]) -> Race:
    """The session, the race (10 km, gun at 08:00:00), its points, and the runners."""
    partner = make_partner(conn, "acme")
    sid = make_session(conn, SESSION, partner_id=partner, locations=POINTS)
    event = conn.execute(
        "INSERT INTO ct_events (partner_id, name, event_date) VALUES (%s, 'Acme 10K',"
        " '2026-05-03') RETURNING id",
        (partner,),
    ).fetchone()[0]  # type: ignore[index]
    race = conn.execute(
        "INSERT INTO ct_races (partner_id, event_id, name, distance_m, start_time, session_id)"
        " VALUES (%s, %s, '10K', 10000, %s, %s) RETURNING id",
        (partner, event, T0, sid),
    ).fetchone()[0]  # type: ignore[index]
    for seq, (point, kind, metres) in enumerate(
        [("start", "start", 0), ("5k", "split", 5000), ("finish", "finish", 10000)]
    ):
        conn.execute(
            "INSERT INTO ct_race_points (race_id, event_id, partner_id, location_name, kind,"
            " seq, distance_m) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (race, event, partner, point, kind, seq, metres),
        )
    lines = ["Bib,First Name,Last Name,Gender,Age,City,Message,VIP"]
    for r in runners:
        lines.append(
            f"{r.bib},{r.first},{r.last},{r.sex},{r.age},{r.city},{r.message},"
            f"{'yes' if r.vip else ''}"
        )
    path = tmp_path / "participants.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store.import_results_file(conn, path, race_id=race)
    return Race(sid, race, partner)


class Writer:
    """The listener's write path (``write_batch``: one transaction and its NOTIFY)."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url)
        self.cache = SessionCache()
        self.seq = 0
        self.last_id = 0  # the newest read id committed

    def commit(self, reads: Iterable[tuple[str, str, float]]) -> float:
        """Commit (point, tag, seconds after 08:00) reads in one batch; returns the
        wall-clock time (epoch seconds) just after the commit."""
        ops: list[Any] = []
        now = datetime.now(UTC)
        for point, tag, secs in reads:
            self.seq += 1
            ts = T0 + timedelta(seconds=secs)
            raw = f"CT01_33~{self.seq}~{point}~{tag}~{ts:%H:%M:%S}.00~1~T123~1"
            ops.append(
                ReadRow(SESSION, point, tag, ts, 1, "T123", 1, self.seq, "display-test", raw, now)
            )
        result = write_batch(self.conn, ops, self.cache)
        done = time.time()
        self.last_id = result.max_id
        return done

    def close(self) -> None:
        self.conn.close()
