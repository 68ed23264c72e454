"""A simulated race in the database, fed in batches the way the listener commits them:
the test data of tests/test_results_live.py.

Two races (A and B) on one session with the same entrants: A is followed step by step,
B is fully rescored after every batch, and the two must agree result for result.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg

from p88.sim import build_course, simulate
from p88.store.live import ReadsCommitted, notify
from p88.store.results import PointRule
from p88.store.results import points as pts

DAY = datetime(2026, 6, 7).date()
LATE = ("5", "6")  # registered mid-race: their reads come in as unknown tags first
STRAY = "99999"  # nobody's tag


def _one(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def make_races(
    conn: psycopg.Connection[Any], runners: int = 300, seed: int = 7, cutoff_6k: str = "0:40:00"
) -> tuple[list[int], int, list[tuple[str, str, datetime]], Any]:
    """Races A and B with the same entrants, their session, and the race's reads in the
    order they happen (location, tag, time)."""
    course = build_course("START,3K,6K,FINISH", "10K", waves="2")
    sim = simulate(course, runners, seed)
    partner = _one(
        conn, "INSERT INTO timing_partners (name, code) VALUES ('Live', 'live') RETURNING id"
    )
    event = _one(
        conn,
        "INSERT INTO ct_events (partner_id, name, event_date) VALUES (%s, 'Live 10K', %s) "
        "RETURNING id",
        (partner, DAY),
    )
    session = _one(
        conn,
        "INSERT INTO timing_sessions (session_name, partner_id) VALUES ('live', %s) RETURNING id",
        (partner,),
    )
    h, m, s = (int(x) for x in cutoff_6k.split(":"))
    rules = [
        PointRule("START", "start", distance_m=0),
        PointRule("3K", "split", seq=1, distance_m=3000),
        PointRule(
            "6K", "split", seq=2, distance_m=6000, cutoff=timedelta(hours=h, minutes=m, seconds=s)
        ),
        PointRule("FINISH", "finish", distance_m=10000),
    ]
    races = []
    for name in ("A", "B"):
        race = _one(
            conn,
            "INSERT INTO ct_races (partner_id, event_id, name, distance_m, start_time, session_id) "
            "VALUES (%s, %s, %s, 10000, %s, %s) RETURNING id",
            (partner, event, name, course.waves[0], session),
        )
        for i, gun in enumerate(course.waves, start=1):
            conn.execute(
                "INSERT INTO ct_race_waves (race_id, event_id, partner_id, wave, start_time) "
                "VALUES (%s, %s, %s, %s, %s)",
                (race, event, partner, str(i), gun),
            )
        pts.save(conn, race, rules)
        races.append(race)
    for r in sim.runners:
        if r.tag not in LATE:
            register(conn, races, r.tag, r.wave, r.bib)
    reads = sorted(
        {
            (line.location, line.tag, line.when)
            for lines in sim.lines.values()
            for line in lines
            if line.tag != "guntime"
        }  # a read twice in one hundredth is one read
    )
    reads += [("FINISH", STRAY, course.waves[0] + timedelta(minutes=40))]
    reads.sort(key=lambda r: (r[2], r[0], r[1]))
    return races, session, reads, sim


def register(conn: psycopg.Connection[Any], races: list[int], tag: str, wave: int, n: int) -> None:
    """Enter one runner (bib = tag) in every race."""
    sex = "F" if n % 2 else "M"
    person = _one(
        conn,
        "INSERT INTO ct_participants (first_name, last_name, sex) VALUES ('Runner', %s, %s) "
        "RETURNING id",
        (f"No{tag}", sex),
    )
    for race in races:
        conn.execute(
            "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib, sex, "
            "age, wave) SELECT partner_id, event_id, id, %s, %s, %s, %s, %s FROM ct_races "
            "WHERE id = %s",
            (person, tag, sex, 20 + n % 50, str(wave), race),
        )


def feed(
    conn: psycopg.Connection[Any], session: int, batch: list[tuple[str, str, datetime]]
) -> None:
    """Commit one batch of reads and NOTIFY, as the listener's writer does."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_date, "
            "read_timestamp, reader_id) VALUES (%s, %s, %s, %s, %s, %s, 'SIM')",
            [(session, loc, tag, ts.time(), ts.date(), ts) for loc, tag, ts in batch],
        )
        top = _one(conn, "SELECT max(id) FROM timing_reads")
        notify(conn, ReadsCommitted((session,), top, len(batch)))


RESULT_COLUMNS = (
    "status, age_group, start_time, finish_time, chip_time, gun_time, pace, note, "
    "overall_place, sex_place, age_group_place, masters_place"
)


def snapshot(conn: psycopg.Connection[Any], race: int) -> dict[str, Any]:
    """Everything scoring decides for a race: each result's row and each runner's splits."""
    rows = conn.execute(
        "SELECT bib, " + RESULT_COLUMNS + " FROM ct_results WHERE race_id = %s", (race,)
    ).fetchall()
    splits = conn.execute(
        "SELECT r.bib, s.point, s.crossing_time, s.elapsed FROM ct_splits s "
        "JOIN ct_results r ON r.id = s.result_id WHERE s.race_id = %s",
        (race,),
    ).fetchall()
    return {"results": {r[0]: r[1:] for r in rows}, "splits": sorted(splits)}
