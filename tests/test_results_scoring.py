"""Scoring reads into results: hand-made races whose answers are worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import psycopg
import pytest

from p88.store.results import PointRule, ScoreOptions, score_race

DAY = date(2024, 6, 1)
_gator = count(1)


def at(clock: str) -> datetime:
    """'08:00:05.40' on the test day."""
    return datetime.combine(DAY, datetime.strptime(clock, "%H:%M:%S.%f").time())


def make_race(
    conn: psycopg.Connection[Any],
    entries: list[tuple[str, str, int, str | None]],
    *,
    start: str | None = "08:00:00.00",
    waves: dict[str, str] | None = None,
    place_by: str = "gun",
    distance_m: int = 10000,
) -> tuple[int, int]:
    """A partner, event, race and session, and entries (bib, sex, age, wave); bib = tag."""
    partner = conn.execute(
        "INSERT INTO timing_partners (name, code) VALUES ('Test Timing', 'test') "
        "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id"
    ).fetchone()[0]  # type: ignore[index]
    event = conn.execute(
        "INSERT INTO ct_events (partner_id, name, event_date, city, state) "
        "VALUES (%s, 'Test 10K', %s, 'Hartford', 'CT') RETURNING id",
        (partner, DAY),
    ).fetchone()[0]  # type: ignore[index]
    race = conn.execute(
        "INSERT INTO ct_races (partner_id, event_id, name, distance_m, start_time, place_by) "
        "VALUES (%s, %s, '10K', %s, %s, %s) RETURNING id",
        (partner, event, distance_m, at(start) if start else None, place_by),
    ).fetchone()[0]  # type: ignore[index]
    session = conn.execute(
        "INSERT INTO timing_sessions (session_name, partner_id) VALUES (%s, %s) RETURNING id",
        (f"test-{race}", partner),
    ).fetchone()[0]  # type: ignore[index]
    for wave, clock in (waves or {}).items():
        conn.execute(
            "INSERT INTO ct_race_waves (race_id, event_id, partner_id, wave, start_time) "
            "VALUES (%s, %s, %s, %s, %s)",
            (race, event, partner, wave, at(clock)),
        )
    for bib, sex, age, wave in entries:
        person = conn.execute(
            "INSERT INTO ct_participants (first_name, last_name, sex) VALUES (%s, 'Runner', %s) "
            "RETURNING id",
            (f"Bib{bib}", sex),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(
            "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib, sex, age, "
            "wave) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (partner, event, race, person, bib, sex, age, wave),
        )
    return race, session


def add_reads(
    conn: psycopg.Connection[Any], session: int, reads: list[tuple[str, str, str]]
) -> None:
    """Insert reads (location, tag, clock) the way the listener stores them."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_date, "
            "read_timestamp, reader_id, gator_number) VALUES (%s, %s, %s, %s, %s, %s, 'T1', %s)",
            [(session, loc, tag, at(c).time(), DAY, at(c), next(_gator)) for loc, tag, c in reads],
        )


def result(conn: psycopg.Connection[Any], race: int, bib: str) -> dict[str, Any]:
    cur = conn.execute(
        "SELECT status, chip_time, gun_time, start_time, finish_time, overall_place, sex_place, "
        "age_group_place, age_group, note FROM ct_results WHERE race_id = %s AND bib = %s",
        (race, bib),
    )
    row = cur.fetchone()
    assert row is not None
    return dict(zip([c.name for c in cur.description or ()], row, strict=True))


def verdicts(conn: psycopg.Connection[Any], race: int, tag: str) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT v.verdict, to_char(r.read_timestamp, 'HH24:MI:SS.MS') FROM ct_read_verdicts v "
        "JOIN timing_reads r ON r.id = v.read_id WHERE v.race_id = %s AND v.tag_code = %s "
        "ORDER BY r.read_timestamp",
        (race, tag),
    ).fetchall()


POINTS = [PointRule("START", "start"), PointRule("FINISH", "finish", distance_m=10000)]


def s(minutes: int, seconds: float = 0) -> timedelta:
    return timedelta(minutes=minutes, seconds=seconds)


@pytest.fixture
def race(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    race, session = make_race(
        conn,
        [
            ("1", "M", 30, None),
            ("2", "F", 41, None),
            ("3", "M", 35, "2"),
            ("4", "F", 50, None),
            ("5", "M", 60, None),
            ("6", "F", 25, None),
        ],
        waves={"2": "08:10:00.00"},
    )
    add_reads(
        conn,
        session,
        [
            # 1: three start reads (last counts), three finish reads (first counts), and a
            # second finish crossing a minute later (a cool-down walk over the mat)
            ("START", "1", "08:00:05.10"),
            ("START", "1", "08:00:05.40"),
            ("START", "1", "08:00:06.00"),
            ("FINISH", "1", "08:40:00.00"),
            ("FINISH", "1", "08:40:00.50"),
            ("FINISH", "1", "08:40:01.00"),
            ("FINISH", "1", "08:41:30.00"),
            # 2: no start read: chip time from the gun
            ("FINISH", "2", "08:45:00.00"),
            # 3: wave 2, gun 08:10
            ("START", "3", "08:10:20.00"),
            ("FINISH", "3", "08:50:00.00"),
            # 4: started, never finished
            ("START", "4", "08:00:30.00"),
            # 6: on the start mat before the gun, then away
            ("START", "6", "07:59:50.00"),
            ("START", "6", "08:00:03.00"),
            ("FINISH", "6", "08:44:00.00"),
            # a tag nobody wears
            ("FINISH", "999", "08:42:00.00"),
        ],
    )
    return race, session


def test_times_statuses_and_verdicts(conn: psycopg.Connection[Any], race: tuple[int, int]) -> None:
    race_id, session = race
    summary = score_race(conn, race_id, session, ScoreOptions(points=POINTS))
    assert summary.full and summary.reads_scored == 15 and summary.gun == at("08:00:00.00")
    r1 = result(conn, race_id, "1")
    assert r1["status"] == "finished"
    assert r1["start_time"] == at("08:00:06.00")  # last read on the start mat
    assert r1["finish_time"] == at("08:40:00.00")  # first read at the finish
    assert (r1["chip_time"], r1["gun_time"]) == (s(39, 54), s(40))
    assert verdicts(conn, race_id, "1") == [
        ("same_crossing", "08:00:05.100"),
        ("same_crossing", "08:00:05.400"),
        ("used", "08:00:06.000"),
        ("used", "08:40:00.000"),
        ("same_crossing", "08:40:00.500"),
        ("same_crossing", "08:40:01.000"),
        ("later_crossing", "08:41:30.000"),
    ]
    r2 = result(conn, race_id, "2")
    assert (r2["chip_time"], r2["gun_time"]) == (s(45), s(45))
    assert r2["note"] == "no start read: chip time from the gun"
    r3 = result(conn, race_id, "3")
    assert (r3["chip_time"], r3["gun_time"]) == (s(39, 40), s(40))  # from the wave's gun
    assert result(conn, race_id, "4")["status"] is None  # still on course
    assert result(conn, race_id, "5")["status"] is None
    r6 = result(conn, race_id, "6")
    assert r6["start_time"] == at("08:00:03.00") and r6["chip_time"] == s(43, 57)
    assert verdicts(conn, race_id, "6")[0] == ("before_gun", "07:59:50.000")
    assert verdicts(conn, race_id, "999") == [("unknown_tag", "08:42:00.000")]
    assert summary.verdicts == {
        "used": 8,
        "same_crossing": 4,
        "later_crossing": 1,
        "before_gun": 1,
        "unknown_tag": 1,
    }
    # every read has exactly one verdict
    assert conn.execute(
        "SELECT count(*), count(DISTINCT read_id) FROM ct_read_verdicts WHERE race_id = %s",
        (race_id,),
    ).fetchone() == (15, 15)


def test_final_makes_dnf_and_dns(conn: psycopg.Connection[Any], race: tuple[int, int]) -> None:
    race_id, session = race
    score_race(conn, race_id, session, ScoreOptions(points=POINTS, final=True))
    assert result(conn, race_id, "4")["status"] == "DNF"
    assert result(conn, race_id, "5")["status"] == "DNS"
    assert result(conn, race_id, "4")["overall_place"] is None
    # a later (not final) rescore keeps them; a finish read turns a DNF into a finisher
    add_reads(conn, session, [("FINISH", "4", "08:55:00.00")])
    score_race(conn, race_id, session, ScoreOptions(full=True))
    assert result(conn, race_id, "5")["status"] == "DNS"
    assert result(conn, race_id, "4")["status"] == "finished"


def test_places_by_gun_time(conn: psycopg.Connection[Any], race: tuple[int, int]) -> None:
    race_id, session = race
    score_race(conn, race_id, session, ScoreOptions(points=POINTS))
    # gun times: 1 M30 40:00, 6 F25 44:00, 2 F41 45:00, 3 M35 40:00 (from its wave)
    expect = {
        "1": (1, 1, 1, "30-34"),
        "3": (1, 1, 1, "35-39"),
        "6": (3, 1, 1, "25-29"),
        "2": (4, 2, 1, "40-44"),
    }
    for bib, (o, sx, ag, group) in expect.items():
        r = result(conn, race_id, bib)
        assert (r["overall_place"], r["sex_place"], r["age_group_place"], r["age_group"]) == (
            o,
            sx,
            ag,
            group,
        ), bib


def test_places_by_chip_time(conn: psycopg.Connection[Any], race: tuple[int, int]) -> None:
    race_id, session = race
    conn.execute("UPDATE ct_races SET place_by = 'chip' WHERE id = %s", (race_id,))
    score_race(conn, race_id, session, ScoreOptions(points=POINTS))
    # chip: 3 39:40, 1 39:54, 6 43:57, 2 45:00
    assert [result(conn, race_id, b)["overall_place"] for b in ("3", "1", "6", "2")] == [1, 2, 3, 4]


def test_session_gun_event_beats_the_scheduled_start(
    conn: psycopg.Connection[Any], race: tuple[int, int]
) -> None:
    race_id, session = race
    conn.execute(
        "INSERT INTO timing_gun_events (session_id, location_name, gun_timestamp) "
        "VALUES (%s, 'START', %s)",
        (session, at("08:00:02.00")),
    )
    summary = score_race(conn, race_id, session, ScoreOptions(points=POINTS))
    assert summary.gun == at("08:00:02.00")
    assert result(conn, race_id, "2")["gun_time"] == s(44, 58)


def test_minimum_elapsed_skips_a_lap_course_start_pass(conn: psycopg.Connection[Any]) -> None:
    race_id, session = make_race(conn, [("7", "M", 44, None)])
    add_reads(conn, session, [("FINISH", "7", "08:00:40.00"), ("FINISH", "7", "08:38:00.00")])
    rules = [PointRule("FINISH", "finish", min_elapsed=timedelta(minutes=10))]
    score_race(conn, race_id, session, ScoreOptions(points=rules))
    assert result(conn, race_id, "7")["chip_time"] == s(38)
    assert [v for v, _ in verdicts(conn, race_id, "7")] == ["too_early", "used"]


def test_incremental_run_takes_only_new_reads(
    conn: psycopg.Connection[Any], race: tuple[int, int]
) -> None:
    race_id, session = race
    score_race(conn, race_id, session, ScoreOptions(points=POINTS))
    again = score_race(conn, race_id, session)
    assert not again.full and again.new_reads == 0 and again.results_changed == 0
    add_reads(conn, session, [("FINISH", "4", "08:39:00.00")])
    inc = score_race(conn, race_id, session)
    assert not inc.full and inc.new_reads == 1 and inc.reads_scored == 2
    assert inc.results_changed == 1
    r4 = result(conn, race_id, "4")
    assert r4["chip_time"] == s(38, 30) and r4["overall_place"] == 1  # gun 39:00 beats 40:00
    assert result(conn, race_id, "1")["overall_place"] == 2
    total = conn.execute(
        "SELECT count(*) FROM ct_read_verdicts WHERE race_id = %s", (race_id,)
    ).fetchone()
    assert total == (16,)


def test_no_gun_and_no_start_read_is_flagged_not_timed(conn: psycopg.Connection[Any]) -> None:
    race_id, session = make_race(conn, [("8", "F", 33, None), ("9", "M", 40, None)], start=None)
    add_reads(conn, session, [("START", "8", "08:01:00.00"), ("FINISH", "8", "08:50:00.00")])
    add_reads(conn, session, [("FINISH", "9", "08:51:00.00")])
    summary = score_race(conn, race_id, session, ScoreOptions(points=POINTS))
    assert summary.gun is None
    r8 = result(conn, race_id, "8")
    assert (r8["status"], r8["chip_time"], r8["gun_time"]) == ("finished", s(49), None)
    r9 = result(conn, race_id, "9")
    assert r9["status"] is None and r9["chip_time"] is None
    assert r9["finish_time"] == at("08:51:00.00")
    assert r9["note"] == "finish read but no start read and no gun time: no time"


def test_late_registration_rescores_an_unknown_tag(
    conn: psycopg.Connection[Any], race: tuple[int, int]
) -> None:
    race_id, session = race
    score_race(conn, race_id, session, ScoreOptions(points=POINTS))
    assert verdicts(conn, race_id, "999") == [("unknown_tag", "08:42:00.000")]
    ids = conn.execute(
        "SELECT partner_id, event_id, participant_id FROM ct_results WHERE bib = '5'"
    ).fetchone()
    assert ids is not None
    conn.execute(
        "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib, sex, age) "
        "VALUES (%s, %s, %s, %s, '999', 'M', 60)",
        (ids[0], ids[1], race_id, ids[2]),
    )
    inc = score_race(conn, race_id, session)
    assert not inc.full and inc.new_reads == 0 and inc.results_changed == 1
    assert verdicts(conn, race_id, "999") == [("used", "08:42:00.000")]
    assert result(conn, race_id, "999")["chip_time"] == s(42)


def test_a_read_committed_late_with_a_lower_id_is_still_scored(
    conn: psycopg.Connection[Any], race: tuple[int, int]
) -> None:
    race_id, session = race
    conn.execute(
        "INSERT INTO timing_reads (id, session_id, location_name, tag_code, read_time, "
        "read_timestamp) VALUES (1000, %s, 'FINISH', '5', '08:59:00', %s)",
        (session, at("08:59:00.00")),
    )
    score_race(conn, race_id, session, ScoreOptions(points=POINTS))
    # a writer that took id 500 before 1000 commits only now
    conn.execute(
        "INSERT INTO timing_reads (id, session_id, location_name, tag_code, read_time, "
        "read_timestamp) VALUES (500, %s, 'START', '5', '08:00:20', %s)",
        (session, at("08:00:20.00")),
    )
    inc = score_race(conn, race_id, session)
    assert not inc.full and inc.new_reads == 1
    assert result(conn, race_id, "5")["chip_time"] == s(58, 40)


def test_splits_and_an_impossible_time(conn: psycopg.Connection[Any]) -> None:
    race_id, session = make_race(conn, [("21", "F", 38, None), ("22", "M", 52, None)])
    add_reads(
        conn,
        session,
        [
            ("START", "21", "08:00:30.00"), ("5K", "21", "08:25:30.00"),
            ("FINISH", "21", "08:52:00.00"),
            # 22 cut the course: a 10K finish four minutes after the gun
            ("FINISH", "22", "08:04:00.00"),
        ],
    )  # fmt: skip
    rules = [*POINTS, PointRule("5K", "split", seq=1, distance_m=5000)]
    score_race(conn, race_id, session, ScoreOptions(points=rules))
    splits = conn.execute(
        "SELECT r.bib, s.point, s.distance_m, s.elapsed FROM ct_splits s "
        "JOIN ct_results r ON r.id = s.result_id ORDER BY r.bib, s.elapsed"
    ).fetchall()
    assert splits == [
        ("21", "5K", 5000, s(25)),
        ("21", "FINISH", 10000, s(51, 30)),
        ("22", "FINISH", 10000, s(4)),
    ]
    r22 = result(conn, race_id, "22")
    # held for review, not dropped and not placed: a person decides
    assert (r22["status"], r22["overall_place"], r22["chip_time"]) == ("review", None, s(4))
    assert r22["note"] == (
        "no start read: chip time from the gun; impossible time: faster than world-record pace "
        "(0:04:00 for 10000 m)"
    )
    assert result(conn, race_id, "21")["overall_place"] == 1


def test_race_standings_in_stored_place_order(
    conn: psycopg.Connection[Any], race: tuple[int, int]
) -> None:
    """The one standings query serve and ``p88 results standings`` share."""
    from p88.errors import P88Error
    from p88.store import official_standings, run

    def race_standings(conn: psycopg.Connection[Any], race_id: int, **kw: Any) -> list[Any]:
        return run(conn, official_standings(race_id, **kw))

    race_id, session = race
    score_race(conn, race_id, session, ScoreOptions(points=POINTS))
    rows = race_standings(conn, race_id)
    # 1 and 3 share first place on gun time; the chip time breaks the tie in the listing
    assert [(r.place, r.bib) for r in rows] == [(1, "3"), (1, "1"), (3, "6"), (4, "2")]
    everyone = race_standings(conn, race_id, everyone=True)
    assert [(r.place, r.bib) for r in everyone][4:] == [(None, "4"), (None, "5")]
    women = race_standings(conn, race_id, sex="F")
    assert [(r.sex_place, r.bib) for r in women] == [(1, "6"), (2, "2")]
    assert [r.bib for r in race_standings(conn, race_id, age_group="40-44")] == ["2"]
    assert [r.bib for r in race_standings(conn, race_id, limit=2)] == ["3", "1"]
    with pytest.raises(P88Error, match="no race"):
        race_standings(conn, race_id + 1000)
