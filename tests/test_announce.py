"""The announcer's queries on the fixed race: crossings (one per runner per point, with
name, place and pace), points touched after an id, who is coming up and when."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from p88 import store
from p88.store import run
from tests.test_tui_data import GUN, fixed_race, insert_reads, with_course


def test_crossings_are_one_per_runner_per_point_with_place_and_pace(
    conn: psycopg.Connection[Any],
) -> None:
    sid = fixed_race(conn)
    with_course(conn, sid)
    roster = run(conn, store.load_roster(sid))
    finish = run(conn, store.point_crossings(sid, "FINISH", roster))
    # two reads each at the finish (0.8 s apart, inside the 10 s dead time): one crossing
    assert [(c.bib, c.place) for c in finish] == [
        ("104", 1),
        ("102", 2),
        ("101", 3),
        ("103", 4),
        ("105", 5),
    ]
    first = finish[0]
    assert (first.name, first.division, first.distance_m) == ("Dev Patel", "M 30-34", 42195)
    assert first.at == GUN + timedelta(seconds=8615.2)  # the first read, not the re-read
    assert first.elapsed == timedelta(seconds=8615.2)
    # 8615.2 s over 42,195 m is 328.589... s a mile, truncated to the hundredth
    assert first.pace == timedelta(seconds=328.58)
    half = run(conn, store.point_crossings(sid, "HALF", roster))
    assert len(half) == 9 and len({c.tag for c in half}) == 9
    assert half[0].pace == timedelta(seconds=327.97)  # 4300 s over 21,100 m

    latest = run(conn, store.latest_crossings(sid, roster, limit=4))
    assert [(c.point, c.bib) for c in latest] == [
        ("FINISH", "105"),
        ("FINISH", "103"),
        ("FINISH", "101"),
        ("FINISH", "102"),
    ]
    latest_half = run(conn, store.latest_crossings(sid, roster, points=["HALF"], limit=2))
    assert [(c.bib, c.place, c.at) for c in latest_half] == [
        ("108", 9, GUN + timedelta(seconds=5100)),
        ("107", 8, GUN + timedelta(seconds=5000)),
    ]


def test_points_read_after_an_id(conn: psycopg.Connection[Any]) -> None:
    sid = fixed_race(conn)
    top, points = run(conn, store.points_read_after(sid, 0))
    assert points == ["FINISH", "HALF", "START"] and top > 0
    assert run(conn, store.points_read_after(sid, top)) == (top, [])
    ids = insert_reads(conn, sid, [("HALF", "106", GUN + timedelta(seconds=4600))])
    assert run(conn, store.points_read_after(sid, top)) == (ids[0], ["HALF"])


def test_coming_up_in_order_of_projected_arrival(conn: psycopg.Connection[Any]) -> None:
    sid = fixed_race(conn)
    with_course(conn, sid)
    roster = run(conn, store.load_roster(sid))
    ahead = run(conn, store.coming_up(sid, roster))
    # projected = elapsed at HALF x 42,195 / 21,100; 106 (due at 8,968.9 s) is more than
    # ten minutes overdue by the newest read (105's finish at 9,950.8 s): not listed
    assert [u.crossing.bib for u in ahead] == ["109", "107", "108"]
    assert [u.projected for u in ahead] == [
        timedelta(seconds=4800) * (42195 / 21100),
        timedelta(seconds=5000) * (42195 / 21100),
        timedelta(seconds=5100) * (42195 / 21100),
    ]
    assert abs(ahead[0].projected.total_seconds() - 9598.8626) < 0.001
    assert ahead[1].projected_at == GUN + timedelta(seconds=5000) * (42195 / 21100)
    assert [(u.city, u.leader, u.crossing.division) for u in ahead] == [
        (None, False, "F 30-34"),  # 101 leads F 30-34 at HALF
        ("Hartford, CT", True, "F 40-44"),
        ("Boston, MA", False, "M 40-44"),  # 106 got to HALF first
    ]
    assert {u.finish_point for u in ahead} == {"FINISH"}
    later = run(conn, store.coming_up(sid, roster, now=GUN + timedelta(seconds=10300)))
    assert [u.crossing.bib for u in later] == ["107", "108"]  # 109 is overdue by then
    assert [u.crossing.bib for u in run(conn, store.coming_up(sid, roster, limit=1))] == ["109"]
    # 108 finishes: no longer coming up
    insert_reads(conn, sid, [("FINISH", "108", GUN + timedelta(seconds=10100))])
    assert [u.crossing.bib for u in run(conn, store.coming_up(sid, roster))] == ["109", "107"]


def test_without_distances_nobody_is_projected(conn: psycopg.Connection[Any]) -> None:
    sid = fixed_race(conn)
    roster = run(conn, store.load_roster(sid))
    assert run(conn, store.coming_up(sid, roster)) == []
    finish = run(conn, store.point_crossings(sid, "FINISH", roster))
    assert finish[0].pace is None and finish[0].distance_m is None


def test_runner_details(conn: psycopg.Connection[Any]) -> None:
    sid = fixed_race(conn)
    with_course(conn, sid)
    details = run(conn, store.runner_details(sid, ["101", "107", "109", "nobody"]))
    assert {tag: d.city for tag, d in details.items()} == {
        "101": "New Haven, CT",
        "107": "Hartford, CT",
        "109": None,
    }
    assert run(conn, store.runner_details(sid, [])) == {}
