"""Continuous scoring (issue 21): a followed race equals a full rescore after every batch,
resumes after a restart, survives a database outage, and has one follower at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from p88.store import BackgroundFollower
from p88.store.connect import connect
from p88.store.results import ScoreOptions, score_race
from p88.store.results.announce import RESULTS_CHANNEL, ResultsChanged
from p88.store.results.live import RaceFollowed, Scorer, follow_results
from p88.store.results.live_position import live_position
from p88.store.results.live_step import NoPoints, Strays, score_step
from tests import live_race as lr
from tests.test_listener_outage import private_server  # noqa: F401 (a fixture)


def test_a_followed_race_equals_a_full_rescore_after_every_batch(
    conn: psycopg.Connection[Any],
) -> None:
    (a, b), session, reads, sim = lr.make_races(conn)
    strays = Strays()
    batches = [reads[i : i + 150] for i in range(0, len(reads), 150)]
    late_at = len(batches) // 2
    full_steps = 0
    for n, batch in enumerate(batches):
        lr.feed(conn, session, batch)
        if n == late_at:  # two runners register mid-race: their earlier reads now count
            for tag in lr.LATE:
                runner = next(r for r in sim.runners if r.tag == tag)
                lr.register(conn, [a, b], tag, runner.wave, runner.bib)
        step = score_step(conn, a, strays=strays)
        full_steps += step.full
        score_race(conn, b, options=ScoreOptions(full=True))
        assert lr.snapshot(conn, a) == lr.snapshot(conn, b), f"after batch {n}"
    assert full_steps == 1  # only the first step rescored everything
    final = lr.snapshot(conn, a)["results"]
    statuses = {row[0] for row in final.values()}
    assert {"finished", "DNF"} <= statuses  # the race reached its finish and its cut-off
    dnf_notes = [row[7] for row in final.values() if row[0] == "DNF"]
    assert dnf_notes and all(
        "past the 6K cut-off" in note or "not at 6K by its cut-off" in note for note in dnf_notes
    )
    assert any("not at 6K by its cut-off" in note for note in dnf_notes)
    assert final[lr.LATE[0]][0] is not None  # the late registration was scored
    pos = live_position(conn, a)
    assert (
        pos is not None
        and pos.read_upto == conn.execute("SELECT max(id) FROM timing_reads").fetchone()[0]
    )  # type: ignore[index]


def test_a_race_without_points_is_refused_naming_the_command(
    conn: psycopg.Connection[Any], db_url: str
) -> None:
    (a, _), session, _, _ = lr.make_races(conn, runners=20)
    conn.execute("DELETE FROM ct_race_points WHERE race_id = %s", (a,))
    with pytest.raises(NoPoints, match="p88 results points --race"):
        score_step(conn, a)
    with pytest.raises(NoPoints):
        asyncio.run(follow_results(db_url, a))


def _wait(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


class Running:
    """A follower on its own thread (``BackgroundFollower``), stopped on exit."""

    def __init__(self, url: str, race: int, **options: Any) -> None:
        self.steps: list[Any] = []
        self.notices: list[str] = []
        self.follower = BackgroundFollower(
            url, race, report=self.steps.append, notice=self.notices.append, **options
        )

    @property
    def error(self) -> BaseException | None:
        return self.follower.error

    def __enter__(self) -> Running:
        self.follower.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.follower.stop()
        assert not self.follower.running


def test_restart_resumes_from_the_stored_position_and_one_follower_per_race(
    conn: psycopg.Connection[Any], db_url: str
) -> None:
    (a, b), session, reads, _ = lr.make_races(conn, runners=120)
    half = len(reads) // 2
    listen = connect(db_url, autocommit=True)
    listen.execute(sql.SQL("LISTEN {}").format(sql.Identifier(RESULTS_CHANNEL)))
    with Running(db_url, a) as first:
        _wait(lambda: bool(first.steps))  # the first step: a full scoring of nothing yet
        with pytest.raises(RaceFollowed, match=f"race {a} is already followed by p88 results"):
            Scorer(db_url, a).open()
        for i in range(0, half, 100):
            lr.feed(conn, session, reads[i : min(i + 100, half)])
        top = conn.execute("SELECT max(id) FROM timing_reads").fetchone()[0]  # type: ignore[index]
        _wait(lambda: (live_position(conn, a) or lr).read_upto == top)  # type: ignore[union-attr]
        # a second follower asked to wait takes over when the first stops
        waiting = Running(db_url, a, wait=True).__enter__()
        time.sleep(0.5)
        assert not waiting.steps and waiting.error is None
    assert first.error is None and not any(s.full for s in first.steps[1:])
    announced = [
        ResultsChanged.decode(n.payload) for n in listen.notifies(timeout=1, stop_after=1000)
    ]
    changed = {i for e in announced if e and e.race_id == a and e.ids for i in e.ids}
    assert changed and all(e is not None and e.upto <= top for e in announced)
    for i in range(half, len(reads), 100):
        lr.feed(conn, session, reads[i : i + 100])
    top = conn.execute("SELECT max(id) FROM timing_reads").fetchone()[0]  # type: ignore[index]
    _wait(lambda: (live_position(conn, a) or lr).read_upto == top)  # type: ignore[union-attr]
    waiting.__exit__()
    assert waiting.error is None and waiting.steps
    assert not any(s.full for s in waiting.steps)  # resumed, not rescored
    score_race(conn, b, options=ScoreOptions(full=True))
    assert lr.snapshot(conn, a) == lr.snapshot(conn, b)
    listen.close()


def test_a_database_outage_is_survived_and_scoring_resumes_where_it_stopped(
    private_server: Any,  # noqa: F811 (the fixture imported above)
) -> None:
    from p88.store.embedded import with_database
    from p88.store.migrations import migrate

    url = with_database(private_server.get_uri(), "postgres")
    with connect(url, autocommit=True) as conn:
        migrate(conn)
        (a, b), session, reads, _ = lr.make_races(conn, runners=80)
    half = len(reads) // 2

    def top() -> int:
        with connect(url, autocommit=True) as c:
            return int(c.execute("SELECT max(id) FROM timing_reads").fetchone()[0])  # type: ignore[index]

    def scored() -> int:
        try:
            with connect(url, autocommit=True) as c:
                pos = live_position(c, a)
        except Exception:  # the server is down: nothing scored yet, ask again
            return -1
        return pos.read_upto if pos else 0

    with Running(url, a) as follower:
        with connect(url, autocommit=True) as conn:
            lr.feed(conn, session, reads[:half])
        _wait(lambda: scored() == top())
        private_server.stop()
        _wait(lambda: any("database unavailable" in n for n in follower.notices))
        time.sleep(1.0)  # a few retries against nothing
        private_server.start()
        with connect(url, autocommit=True) as conn:
            lr.feed(conn, session, reads[half:])
        _wait(lambda: scored() == top(), timeout=60)
    assert follower.error is None
    assert any("database back" in n for n in follower.notices)
    assert not any(s.full for s in follower.steps[1:])  # resumed, never rescored
    with connect(url, autocommit=True) as conn:
        score_race(conn, b, options=ScoreOptions(full=True))
        assert lr.snapshot(conn, a) == lr.snapshot(conn, b)


def test_a_followed_race_applies_corrections_made_mid_race(conn: psycopg.Connection[Any]) -> None:
    """A DQ, a penalty and a bib swap recorded mid-race: the follower's later steps time the
    runners involved with the corrections, exactly as a full rescore does."""
    from p88.store import CorrectionRequest, correct_result

    (a, b), session, reads, sim = lr.make_races(conn)
    strays = Strays()
    batches = [reads[i : i + 150] for i in range(0, len(reads), 150)]
    bibs = [str(r.bib) for r in sim.runners if r.tag not in lr.LATE][:4]
    fixes = [
        CorrectionRequest(bib=bibs[0], action="dq", reason="cut the course", made_by="ref"),
        CorrectionRequest(
            bib=bibs[1], action="penalty", penalty=timedelta(minutes=2), reason="litter",
            made_by="ref",
        ),
        CorrectionRequest(
            bib=bibs[2], action="swap", other_bib=bibs[3], reason="wore each other's bibs",
            made_by="ref",
        ),
    ]  # fmt: skip
    for n, batch in enumerate(batches):
        lr.feed(conn, session, batch)
        if n == 2:  # early: most of these runners' reads are still to come
            for fix in fixes:
                for race in (a, b):
                    correct_result(conn, race, fix)
        score_step(conn, a, strays=strays)
        score_race(conn, b, options=ScoreOptions(full=True))
        got, want = _without_ids(lr.snapshot(conn, a)), _without_ids(lr.snapshot(conn, b))
        diff = {k: (v, want["results"].get(k)) for k, v in got["results"].items()
                if want["results"].get(k) != v}  # fmt: skip
        assert not diff and got["splits"] == want["splits"], f"after batch {n}: {diff}"
    final = lr.snapshot(conn, a)["results"]
    assert final[bibs[0]][0] == "DQ"


def _without_ids(snap: dict[str, Any]) -> dict[str, Any]:
    """A snapshot with correction ids taken out of notes: the two races record the same
    corrections under different ids."""
    import re

    rows = {
        bib: tuple(re.sub(r"#\d+ ", "#", v) if isinstance(v, str) else v for v in row)
        for bib, row in snap["results"].items()
    }
    return {"results": rows, "splits": snap["splits"]}
