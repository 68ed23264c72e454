"""Test data for the leaderboard (written with SQL, as the listener writes it) and tests of
the read-only queries behind it (the store's plans, run async as the TUI runs them)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from p88 import store
from p88.store import ReadsCommitted, arun, notify

DAY = date(2025, 10, 11)
GUN = datetime(2025, 10, 11, 8, 0, 0)
NOW = datetime(2025, 10, 11, 12, 0, 30, tzinfo=UTC)  # the frozen clock of the fixed dataset

Read = tuple[str, str, datetime]  # (point, tag, read_timestamp)


def add_session(conn: psycopg.Connection[Any], name: str, event: str | None = None) -> int:
    row = conn.execute(
        "INSERT INTO timing_sessions (session_name, event_name, created_at) "
        "VALUES (%s, %s, %s) RETURNING id",
        (name, event, datetime(2025, 10, 11, 6, 0)),
    ).fetchone()
    assert row is not None
    return int(row[0])


def add_points(conn: psycopg.Connection[Any], session_id: int, names: Sequence[str]) -> None:
    for name in names:
        conn.execute(
            "INSERT INTO timing_locations (session_id, location_name, description) "
            "VALUES (%s, %s, %s)",
            (session_id, name, name.title()),
        )


def insert_reads(
    conn: psycopg.Connection[Any],
    session_id: int,
    reads: Sequence[Read],
    *,
    received_at: datetime | None = None,
) -> list[int]:
    """One committed batch with its NOTIFY in the same transaction, as the listener does."""
    with conn.transaction():
        rows = conn.execute(
            "INSERT INTO timing_reads (session_id, location_id, location_name, tag_code,"
            " read_time, read_date, read_timestamp, reader_id, gator_number, received_at)"
            " SELECT %(s)s, l.id, x.point, x.tag, x.ts::time, x.ts::date, x.ts, 'T1', 1,"
            "  coalesce(%(rcv)s, now())"
            " FROM unnest(%(points)s::text[], %(tags)s::text[], %(ts)s::timestamp[])"
            "  WITH ORDINALITY AS x(point, tag, ts, n)"
            " LEFT JOIN timing_locations l ON l.session_id = %(s)s AND l.location_name = x.point"
            " ORDER BY x.n RETURNING id",
            {
                "s": session_id,
                "rcv": received_at,
                "points": [r[0] for r in reads],
                "tags": [r[1] for r in reads],
                "ts": [r[2] for r in reads],
            },
        ).fetchall()
        ids = [int(r[0]) for r in rows]
        notify(conn, ReadsCommitted((session_id,), max(ids), len(ids)))
    return ids


RUNNERS = [  # bib, first, last, sex, age group, finish after the gun (s)
    ("101", "Ana", "Silva", "F", "30-34", 9020.0),
    ("102", "Ben", "Okafor", "M", "35-39", 8730.4),
    ("103", "Chloe", "Martin", "F", "35-39", 9300.7),
    ("104", "Dev", "Patel", "M", "30-34", 8615.2),
    ("105", "Emma", "Jones", "F", "30-34", 9950.0),
    ("106", "Farid", "Haddad", "M", "40-44", None),  # still on the course
]


def fixed_race(conn: psycopg.Connection[Any]) -> int:
    """A fixed, hand-checkable race: one session, three points, a gun, six runners in
    the results tables, reads received at fixed instants (the clock freezes at NOW)."""
    sid = add_session(conn, "Hartford_2025", "Hartford Marathon")
    add_points(conn, sid, ["START", "HALF", "FINISH"])
    conn.execute(
        "INSERT INTO timing_gun_events (session_id, location_name, gun_timestamp) "
        "VALUES (%s, 'START', %s)",
        (sid, GUN),
    )
    partner = conn.execute(
        "INSERT INTO timing_partners (name, code) VALUES ('Test Timing', 'tt') RETURNING id"
    ).fetchone()
    assert partner is not None
    event = conn.execute(
        "INSERT INTO ct_events (partner_id, name, event_date) VALUES (%s, 'Hartford Marathon',"
        " %s) RETURNING id",
        (partner[0], DAY),
    ).fetchone()
    assert event is not None
    race = conn.execute(
        "INSERT INTO ct_races (partner_id, event_id, name, distance_m, start_time, session_id)"
        " VALUES (%s, %s, 'Marathon', 42195, %s, %s) RETURNING id",
        (partner[0], event[0], GUN, sid),
    ).fetchone()
    assert race is not None
    reads: list[Read] = []
    for i, (bib, first, last, sex, group, finish) in enumerate(RUNNERS):
        person = conn.execute(
            "INSERT INTO ct_participants (first_name, last_name, sex) VALUES (%s, %s, %s)"
            " RETURNING id",
            (first, last, sex),
        ).fetchone()
        assert person is not None
        gun_time = timedelta(seconds=finish) if finish else None
        conn.execute(
            "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib, sex,"
            " age_group, gun_time, chip_time, status) VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s)",
            (
                partner[0],
                event[0],
                race[0],
                person[0],
                bib,
                sex,
                group,
                gun_time,
                gun_time,
                "finished" if finish else None,
            ),
        )
        reads.append(("START", bib, GUN + timedelta(seconds=5 + i)))
        reads.append(("HALF", bib, GUN + timedelta(seconds=4300 + 37 * i)))
        if finish:
            reads.append(("FINISH", bib, GUN + timedelta(seconds=finish)))
            reads.append(("FINISH", bib, GUN + timedelta(seconds=finish + 0.8)))  # re-read
    reads.sort(key=lambda r: r[2])
    insert_reads(conn, sid, reads, received_at=NOW - timedelta(seconds=20))
    conn.execute(
        "INSERT INTO connection_log (client_ip, session_id, connection_id) "
        "VALUES ('10.0.0.7', %s, 'ctl-1')",
        (sid,),
    )
    conn.execute(
        "INSERT INTO rejected_lines (session_id, source, raw_line, reason) "
        "VALUES (%s, 'tcp', 'garbage', 'not a CT01 line')",
        (sid,),
    )
    return sid


ON_COURSE = [  # bib, first, last, sex, age group, half crossing after the gun (s), city
    ("107", "Gia", "Rossi", "F", "40-44", 5000.0, ("Hartford", "CT")),
    ("108", "Hugo", "Lind", "M", "40-44", 5100.0, ("Boston", "MA")),
    ("109", "Ines", "Costa", "F", "30-34", 4800.0, (None, None)),
]
CITIES = {"101": ("New Haven", "CT"), "104": ("Providence", "RI")}
MESSAGES = {"105": "Go Mom!", "108": "Boston or bust"}  # the runner display's (migration 018)
HALF_M, FINISH_M = 21100, 42195


def with_course(conn: psycopg.Connection[Any], sid: int) -> None:
    """The fixed race with its points saved with distances (START 0, HALF 21.1 km,
    FINISH 42.195 km), cities, display messages, and three more runners past HALF and not
    yet finished (their reads arrive with the others, before the frozen clock)."""
    race = conn.execute(
        "SELECT id, event_id, partner_id FROM ct_races WHERE session_id = %s", (sid,)
    ).fetchone()
    assert race is not None
    for name, kind, seq, metres in (
        ("START", "start", 0, 0),
        ("HALF", "split", 1, HALF_M),
        ("FINISH", "finish", 2, FINISH_M),
    ):
        conn.execute(
            "INSERT INTO ct_race_points (race_id, event_id, partner_id, location_name, kind,"
            " seq, distance_m) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (*race, name, kind, seq, metres),
        )
    for bib, message in MESSAGES.items():
        conn.execute(
            "INSERT INTO ct_display_messages (race_id, event_id, partner_id, bib, message)"
            " VALUES (%s, %s, %s, %s, %s)",
            (*race, bib, message),
        )
    for bib, (city, state) in CITIES.items():
        conn.execute(
            "UPDATE ct_participants SET city = %s, state = %s WHERE id = ("
            " SELECT participant_id FROM ct_results WHERE bib = %s AND race_id = %s)",
            (city, state, bib, race[0]),
        )
    reads: list[Read] = []
    for i, (bib, first, last, sex, group, half, (city, state)) in enumerate(ON_COURSE):
        person = conn.execute(
            "INSERT INTO ct_participants (first_name, last_name, sex, city, state)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (first, last, sex, city, state),
        ).fetchone()
        assert person is not None
        conn.execute(
            "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib, sex,"
            " age_group) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (race[2], race[1], race[0], person[0], bib, sex, group),
        )
        reads.append(("START", bib, GUN + timedelta(seconds=12 + i)))
        reads.append(("HALF", bib, GUN + timedelta(seconds=half)))
        reads.append(("HALF", bib, GUN + timedelta(seconds=half + 1.5)))  # a re-read
    reads.sort(key=lambda r: r[2])
    insert_reads(conn, sid, reads, received_at=NOW - timedelta(seconds=20))


async def _aconn(url: str) -> psycopg.AsyncConnection[Any]:
    return await psycopg.AsyncConnection.connect(url, autocommit=True)


def test_queries_on_the_fixed_race(db_url: str, conn: psycopg.Connection[Any]) -> None:
    sid = fixed_race(conn)

    async def go() -> None:
        async with await _aconn(db_url) as a:
            roster = await arun(a, store.load_roster(sid))
            assert [name for _, name in roster.races] == ["Marathon"]
            assert roster.categories() == (["F", "M"], ["30-34", "35-39", "40-44"])
            figures = await arun(a, store.header_figures(sid, NOW))
            assert (figures.controllers, figures.total_reads, figures.rejects) == (1, 22, 1)
            assert figures.reads_per_minute == 22
            assert (
                await arun(a, store.header_figures(sid, NOW + timedelta(minutes=5)))
            ).reads_per_minute == 0

            latest = await arun(a, store.latest_reads(sid, roster, limit=3))
            assert [(c.point, c.tag, c.name) for c in latest][0] == ("FINISH", "105", "Emma Jones")
            assert latest[0].elapsed == timedelta(seconds=9950.8)

            finish = await arun(a, store.point_standings(sid, "FINISH", roster))
            assert [s.bib for s in finish] == ["104", "102", "101", "103", "105"]
            assert finish[1].gap == timedelta(seconds=8730.4 - 8615.2)
            women = await arun(a, store.point_standings(sid, "FINISH", roster, sex="F"))
            assert [(s.place, s.bib, s.gap) for s in women][:2] == [
                (1, "101", timedelta(0)),
                (2, "103", timedelta(seconds=280.7)),
            ]
            group = await arun(a, store.point_standings(sid, "FINISH", roster, age_group="30-34"))
            assert [s.bib for s in group] == ["104", "101", "105"]
            race = await arun(a, store.live_ranking(roster.races[0][0], sex="M"))
            assert [(s.place, s.bib) for s in race] == [(1, "104"), (2, "102")]

            found = await arun(a, store.search_reads(sid, "haddad", roster))
            assert {c.tag for c in found} == {"106"} and [c.point for c in found] == [
                "START",
                "HALF",
            ]
            assert [c.point for c in await arun(a, store.search_reads(sid, "101", roster))] == [
                "START",
                "HALF",
                "FINISH",
                "FINISH",
            ]
            sessions = await arun(a, store.list_sessions())
            assert [(s.id, s.total_reads) for s in sessions] == [(sid, 22)]
            assert await arun(a, store.find_session("Hartford_2025")) == sid
            assert await arun(a, store.find_session(str(sid))) == sid
            assert await arun(a, store.location_order(sid)) == ["START", "HALF", "FINISH"]

    asyncio.run(go())


def test_without_results_tags_stand_alone(db_url: str, conn: psycopg.Connection[Any]) -> None:
    sid = add_session(conn, "bare")
    insert_reads(conn, sid, [("FIN", "9", GUN), ("FIN", "7", GUN + timedelta(seconds=3))])

    async def go() -> None:
        async with await _aconn(db_url) as a:
            roster = await arun(a, store.load_roster(sid))
            assert roster.runners == {} and roster.races == ()
            rows = await arun(a, store.point_standings(sid, "FIN", roster))
            # no gun: no time (as scoring gives none), ranked by arrival at the point
            assert [(s.bib, s.name, s.time) for s in rows] == [("9", None, None), ("7", None, None)]
            assert await arun(a, store.location_order(sid)) == ["FIN"]
            assert await arun(a, store.current_session(or_newest=True)) == sid

    asyncio.run(go())


def test_formats_read_like_a_race_clock() -> None:
    from p88.tui import fmt

    assert fmt.elapsed(timedelta(seconds=8615.24)) == "2:23:35.2"
    assert fmt.elapsed(timedelta(seconds=59.96)) == "0:59.9"  # truncated, as timing does
    assert fmt.elapsed(None) == ""
    assert fmt.gap(timedelta(0)) == "—" and fmt.gap(timedelta(seconds=280.7)) == "+4:40.7"
    assert fmt.clock(datetime(2025, 1, 1, 8, 0, 5, 123456)) == "08:00:05.12"
    assert [fmt.ago(NOW - timedelta(seconds=s), NOW) for s in (4, 185, 7800, 90000)] == [
        "4s ago",
        "3m 05s ago",
        "2h 10m ago",
        "1d 01h ago",
    ]
    assert fmt.ago(None, NOW) == "never"
