"""The crossing rule's fast path decides exactly as its explained path.

``cross_point`` is the one crossing rule. Scoring runs it with ``verdicts`` (a reason for
every read, stored); point standings (``p88 serve``'s leaderboard, the TUI) run it without,
for every runner on every refresh, from reads the database hands over as sorted arrays.
These tests hold the two to the same answer: property tests on the pure rule over random
reads and settings, and seeded simulated races whose point standings are checked against
standings built read by read from scoring's full ``time_entry``.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql

from p88 import store
from p88.store import PointRule, ScoreOptions, run
from p88.store.queries.memo import Remembered
from p88.store.queries.plan import Plan, Query
from p88.store.results.crossings import USED, Read, cross_point, time_entry
from p88.store.results.points import Choice
from tests.test_results_scoring import DAY, make_race

S = timedelta(seconds=1)
BASE = datetime.combine(DAY, datetime.min.time()) + timedelta(hours=8)
_ids = count(1)


def _at(seconds: float) -> datetime:
    return BASE + timedelta(seconds=seconds)


# Read times on a half-second grid within a few minutes of the gun, so that dead times,
# minimum times and the gun itself cut through clusters of reads often.
offsets = st.lists(st.integers(-120, 900).map(lambda n: n / 2), max_size=12)
rules = st.builds(
    PointRule,
    location=st.just("P"),
    kind=st.sampled_from(["start", "split", "finish"]),
    read_choice=st.sampled_from([None, "first", "last"]),
    dead_time=st.integers(0, 40).map(lambda n: timedelta(seconds=n / 2)),
    min_elapsed=st.sampled_from([0, 0, 5, 30, 120]).map(lambda n: timedelta(seconds=n)),
)
moments = st.one_of(st.none(), st.integers(-60, 300).map(lambda n: _at(n / 2)))
start_rules = st.sampled_from(["last_before", "first"])


def _reads(times: list[float], shared_ids: bool) -> list[Read]:
    """Reads at point P, sorted as the database sorts them (time, then id)."""
    ids = [n % 3 if shared_ids else next(_ids) for n in range(len(times))]
    return sorted(Read(_at(t), i, "P") for t, i in zip(times, ids, strict=True))


@settings(max_examples=600, deadline=None)
@given(offsets, st.booleans(), rules, moments, moments, moments, start_rules)
def test_fast_path_decides_as_the_explained_path(
    times: list[float],
    shared_ids: bool,
    rule: PointRule,
    gun: datetime | None,
    reference: datetime | None,
    later: datetime | None,
    start_rule: str,
) -> None:
    reads = _reads(times, shared_ids)
    stamps, ids = [r.ts for r in reads], [r.id for r in reads]
    verdicts: list[tuple[int, str, str, str]] = []
    explained = cross_point(
        stamps, ids, rule, gun, reference, later=later, start_rule=start_rule, verdicts=verdicts
    )
    fast = cross_point(stamps, ids, rule, gun, reference, later=later, start_rule=start_rule)
    assert fast == explained
    # every read has exactly one verdict, and the one used is the read the index names
    assert Counter(v[0] for v in verdicts) == Counter(ids)
    used = [v for v in verdicts if v[2] == USED]
    assert [v[0] for v in used] == ([] if explained is None else [ids[explained]])


@settings(max_examples=400, deadline=None)
@given(offsets, rules, moments)
def test_first_crossing_is_scorings_crossing(
    times: list[float], rule: PointRule, gun: datetime | None
) -> None:
    """``first_crossing`` (standings' path) picks the read scoring's ``time_entry``
    marks used when it times the same reads at that one point from the same gun."""
    reads = _reads(times, False)
    random.Random(len(times)).shuffle(reads)  # first_crossing sorts for itself
    timing = time_entry({"P": list(reads)}, [rule], gun)
    used = [v[0] for v in timing.verdicts if v[2] == USED]
    crossing = store.first_crossing(reads, rule, gun)
    assert ([] if crossing is None else [crossing.id]) == used
    if crossing is not None and rule.kind != "start":
        assert timing.splits["P"] == (crossing.ts, crossing.id)


def _clock(text: str) -> datetime:
    return datetime.combine(DAY, datetime.strptime(text, "%H:%M:%S.%f").time())


def _simulated_race(conn: psycopg.Connection[Any], seed: int) -> int:
    """A seeded race: one to three waves (each with a gun event, or none at all), points
    START/MID/FINISH with random dead times, read choices and minimum times, and runners
    who walk over the start before their gun, stand on mats, lap past the finish early,
    cross again later or never arrive; plus tags no entry carries. Returns the session."""
    rng = random.Random(seed)
    waves = {w: f"08:{10 * i:02d}:00.00" for i, w in enumerate("ABC"[: rng.randint(1, 3)])}
    runners = [str(100 + n) for n in range(rng.randint(15, 40))]
    entries: list[tuple[str, str, int, str | None]] = [
        (bib, rng.choice("MF"), 30, rng.choice(list(waves))) for bib in runners
    ]
    race, session = make_race(conn, entries, waves=waves)
    conn.execute("UPDATE ct_races SET session_id = %s WHERE id = %s", (session, race))
    if rng.random() < 0.8:  # else the race's start time is the gun
        for clock in waves.values():
            gun = _clock(clock)
            conn.execute(
                "INSERT INTO timing_gun_events (session_id, location_name, gun_timestamp) "
                "VALUES (%s, 'START', %s)",
                (session, gun + timedelta(seconds=rng.choice([0, 0, -2, 3]))),
            )
    reads: list[tuple[str, str, datetime]] = []

    def crossing(point: str, tag: str, when: datetime) -> None:
        for k in range(rng.choice([1, 1, 2, 3, 8])):  # antennas, or standing on the mat
            reads.append((point, tag, when + timedelta(seconds=k * rng.choice([0.3, 1.5, 4]))))

    wave_of = {bib: wave or "A" for bib, _, _, wave in entries}
    strangers = [str(900 + n) for n in range(rng.randint(0, 4))]
    for tag in runners + strangers:
        gun = _clock(waves[wave_of.get(tag, "A")])
        if rng.random() < 0.2:
            crossing("START", tag, gun - timedelta(seconds=rng.randint(30, 300)))  # corral
        start = gun + timedelta(seconds=rng.uniform(0, 90))
        if rng.random() < 0.9:
            crossing("START", tag, start)
        if rng.random() < 0.3:
            crossing("FINISH", tag, start + timedelta(seconds=rng.uniform(5, 60)))  # lap pass
        if rng.random() < 0.8:
            crossing("MID", tag, start + timedelta(seconds=rng.uniform(900, 1500)))
        if rng.random() < 0.1:
            crossing("MID", tag, gun - timedelta(seconds=20))  # before their gun
        if rng.random() < 0.7:
            finish = start + timedelta(seconds=rng.uniform(1800, 3600))
            crossing("FINISH", tag, finish)
            if rng.random() < 0.2:
                crossing("FINISH", tag, finish + timedelta(seconds=rng.uniform(11, 200)))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_date,"
            " read_timestamp, reader_id, gator_number) VALUES (%s, %s, %s, %s, %s, %s, 'S1', %s)"
            " ON CONFLICT DO NOTHING",
            [(session, p, t, ts.time(), ts.date(), ts, next(_ids) % 4) for p, t, ts in reads],
        )

    def dead() -> timedelta:
        return timedelta(seconds=rng.choice([0, 1, 5, 10, 30]))

    choice: list[Choice | None] = [None, "first", "last"]
    points = [
        PointRule("START", "start", dead_time=dead(), read_choice=rng.choice(choice)),
        PointRule("MID", "split", seq=1, dead_time=dead(), min_elapsed=rng.choice([0, 600]) * S),
        PointRule(
            "FINISH",
            "finish",
            dead_time=dead(),
            read_choice=rng.choice(choice),
            min_elapsed=rng.choice([0, 0, 300]) * S,
        ),
    ]
    store.score_race(conn, race, session, ScoreOptions(points=points))  # saves the points
    return session


def _standings_read_by_read(
    conn: psycopg.Connection[Any], session: int, point: str, roster: store.Roster
) -> list[tuple[int, str, timedelta | None, datetime, int]]:
    """Standings at ``point`` built the slow way: every read an object, every runner
    timed by scoring's ``time_entry`` with a verdict per read, ranked by time from the gun
    (else from their start-mat crossing), then crossing time, then tag."""
    rows = conn.execute(
        "SELECT gun_timestamp FROM timing_gun_events WHERE session_id = %s ORDER BY 1", (session,)
    ).fetchall()
    guns = [g for (g,) in rows]
    reads: dict[str, dict[str, list[Read]]] = {}
    for tag, read_id, ts, loc in conn.execute(
        "SELECT tag_code, id, read_timestamp, location_name FROM timing_reads"
        " WHERE session_id = %s",
        (session,),
    ).fetchall():
        reads.setdefault(tag, {}).setdefault(loc, []).append(Read(ts, read_id, loc))

    def used(tag: str, at: str, gun: datetime | None) -> Read | None:
        mine = reads[tag].get(at, [])
        timing = time_entry({at: mine}, [roster.rule_for(tag, at)], gun)
        ids = [v[0] for v in timing.verdicts if v[2] == USED]
        return next((r for r in mine if r.id in ids), None)

    ranked = []
    for tag in reads:
        gun = roster.gun_for(tag, guns)
        crossing = used(tag, point, gun)
        if crossing is None:
            continue
        mat = roster.start_point(tag)
        start = used(tag, mat, None) if gun is None and mat is not None else None
        ref = gun if gun is not None else (start.ts if start is not None else None)
        ranked.append((tag, crossing, store.elapsed(crossing.ts, ref)))
    ranked.sort(key=lambda x: (x[2] is None, x[2] or timedelta(0), x[1].ts, x[0]))
    return [(n, tag, t, c.ts, c.id) for n, (tag, c, t) in enumerate(ranked, start=1)]


@pytest.mark.parametrize("seed", range(8))
def test_point_standings_match_the_explained_rule(conn: psycopg.Connection[Any], seed: int) -> None:
    session = _simulated_race(conn, seed)
    roster = run(conn, store.load_roster(session))
    for point in ("START", "MID", "FINISH"):
        fast = run(conn, store.point_standings(session, point, roster))
        got = [(s.place, s.bib, s.time, s.crossed_at, s.read_id) for s in fast]
        assert got == _standings_read_by_read(conn, session, point, roster), (seed, point)
        assert got, (seed, point)  # every point has crossings in these races


def test_standings_are_remembered_only_while_the_rows_are_the_same(
    conn: psycopg.Connection[Any],
) -> None:
    session = _simulated_race(conn, 3)
    roster = run(conn, store.load_roster(session))
    first = run(conn, store.point_standings(session, "FINISH", roster))
    again = run(conn, store.point_standings(session, "FINISH", roster))
    assert again == first and all(a is b for a, b in zip(first, again, strict=True))
    reloaded = run(conn, store.load_roster(session))  # equal, not the same object
    assert run(conn, store.point_standings(session, "FINISH", reloaded))[0] is first[0]
    conn.execute(  # a tag no entry carries finishes: a new line in the standings
        "INSERT INTO timing_reads (session_id, location_name, tag_code, read_time, read_date,"
        " read_timestamp, reader_id) VALUES (%s, 'FINISH', '951', %s, %s, %s, 'S1')",
        (session, _clock("08:20:00.00").time(), DAY, _clock("08:20:00.00")),
    )
    after = run(conn, store.point_standings(session, "FINISH", roster))
    assert len(after) == len(first) + 1
    assert after == run(conn, store.point_standings(session, "FINISH", reloaded))
    got = [(s.place, s.bib, s.time, s.crossed_at, s.read_id) for s in after]
    assert got == _standings_read_by_read(conn, session, "FINISH", roster)


def test_remembered_plan_reruns_only_when_rows_change() -> None:
    """A plan of two queries: kept while both return the same rows; when the second's
    change, the plan runs again on the first's rows without asking for them twice."""
    runs: list[int] = []
    asked: list[str] = []
    db = {"a": [(1,)], "b": [(2,)]}

    def plan() -> Plan[int]:
        runs.append(1)
        a = yield Query(sql.SQL("a"))
        b = yield Query(sql.SQL("b"))
        return int(a[0][0]) + int(b[0][0])

    def drive(p: Plan[int]) -> int:
        try:
            query = next(p)
            while True:
                name = query.text.as_string()
                asked.append(name)
                query = p.send(list(db[name]))
        except StopIteration as done:
            return int(done.value)

    memo: Remembered[int] = Remembered(size=1)
    assert drive(memo.run("k", None, plan)) == 3 and len(runs) == 1
    assert drive(memo.run("k", None, plan)) == 3 and len(runs) == 1  # kept
    db["b"] = [(5,)]
    asked.clear()
    assert drive(memo.run("k", None, plan)) == 6 and len(runs) == 2
    assert asked == ["a", "b"]  # each query once
    assert drive(memo.run("other", None, plan)) == 6 and len(runs) == 3
    assert drive(memo.run("k", None, plan)) == 6 and len(runs) == 4  # size 1: forgotten
    assert drive(memo.run("k", "another context", plan)) == 6 and len(runs) == 5
