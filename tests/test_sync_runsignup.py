"""RunSignUp sync against a fake RunSignUp over real sockets: pull, push, failures."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from p88.store.results import ensure_race
from p88.sync import (
    Credentials,
    RemoteRefused,
    RemoteUnavailable,
    Request,
    RunSignUp,
    SyncError,
    pull_runsignup,
    push_runsignup,
)
from tests.fake_runsignup import FakeRunSignUp, serving

EVENT = 654_321
OTHER_EVENT = 654_322


@pytest.fixture
def fake() -> FakeRunSignUp:
    """A fake RunSignUp with random credentials (never a fixture file)."""
    return FakeRunSignUp(
        key=secrets.token_hex(16),
        secret=secrets.token_hex(24),
        race_id=123_456,
        event_ids=(EVENT, OTHER_EVENT),
    )


@pytest.fixture
def url(fake: FakeRunSignUp) -> Iterator[str]:
    with serving(fake) as base:
        yield base


def make_client(url: str, fake: FakeRunSignUp, **kw: Any) -> RunSignUp:
    kw.setdefault("sleep", lambda _s: None)  # backoff without waiting
    kw.setdefault("timeout", 5.0)
    return RunSignUp(url, Credentials(fake.key, fake.secret), **kw)


@pytest.fixture
def rsu(url: str, fake: FakeRunSignUp) -> Iterator[RunSignUp]:
    with make_client(url, fake) as client:
        yield client


@pytest.fixture
def race(conn: psycopg.Connection[Any]) -> int:
    return ensure_race(
        conn, partner="Big River", event="Hartford 10K", event_date=date(2026, 6, 7),
        race="10K", distance_m=10_000,
    )  # fmt: skip


def entries(conn: psycopg.Connection[Any], race: int) -> dict[str, tuple[int, str, str | None]]:
    """registration id -> (entry id, bib, tag) for the race's entries."""
    rows = conn.execute(
        "SELECT s.registration_id, r.id, r.bib, r.tag_code FROM ct_results r "
        "JOIN sync_registrations s ON s.result_id = r.id WHERE r.race_id = %s",
        (race,),
    ).fetchall()
    total = conn.execute("SELECT count(*) FROM ct_results WHERE race_id = %s", (race,)).fetchone()
    assert total == (len(rows),)  # every entry came from a registration
    return {str(reg): (rid, bib, tag) for reg, rid, bib, tag in rows}


def spread(fake: FakeRunSignUp, n: int, *, per_second: int = 3) -> list[int]:
    """Register n runners, a few per second, as a registration period would."""
    ids: list[int] = []
    while len(ids) < n:
        fake.tick()
        ids += fake.add(EVENT, min(per_second, n - len(ids)), seed=len(ids),
                        bib_from=len(ids) + 1)  # fmt: skip
    return ids


def pull(conn: psycopg.Connection[Any], rsu: RunSignUp, race: int, fake: FakeRunSignUp,
         **kw: Any) -> Any:  # fmt: skip
    return pull_runsignup(conn, rsu, race_id=race, remote_race=fake.race_id,
                          remote_event=EVENT, **kw)  # fmt: skip


@pytest.mark.slow
def test_pull_20000_in_pages_then_50_changes(
    conn: psycopg.Connection[Any], rsu: RunSignUp, fake: FakeRunSignUp, race: int
) -> None:
    ids = spread(fake, 20_000)
    first = pull(conn, rsu, race, fake, per_page=1000)
    assert (first.fetched, first.pages, first.new, first.incremental) == (20_000, 20, 20_000, False)
    have = entries(conn, race)
    assert len(have) == 20_000
    p = fake.participants[ids[1234]]
    assert have[str(ids[1234])][1:] == (str(p["bib_num"]), p["chip_num"])
    person = conn.execute(
        "SELECT first_name, last_name, sex, birth_date, city, state, email FROM ct_participants "
        "WHERE id = (SELECT participant_id FROM ct_results WHERE id = %s)",
        (have[str(ids[1234])][0],),
    ).fetchone()
    user = p["user"]
    assert person == (user["first_name"], user["last_name"], user["gender"],
                      date.fromisoformat(user["dob"]), "Hartford", "CT", user["email"])  # fmt: skip

    stamp = "SELECT max(updated_at), count(*), (SELECT pulled_at FROM sync_links) FROM ct_results"
    before = conn.execute(stamp).fetchone()
    again = pull(conn, rsu, race, fake, per_page=1000)  # nothing changed: nothing written
    assert conn.execute(stamp).fetchone() == before
    last_second = [r for r in ids if fake.participants[r]["last_modified"] == fake.clock]
    assert again.incremental and again.fetched == len(last_second) == again.seen_again
    assert (again.new, again.changed) == (0, 0)

    # 50 changes: 30 chips, 10 new bibs, two swaps (4), 6 new registrations.
    for r in ids[100:130]:
        fake.modify(r, chip_num=f"N{r}")
    for i, r in enumerate(ids[200:210]):
        fake.modify(r, bib_num=30_000 + i)
    a, b, c, d = ids[300:304]
    fake.modify(a, bib_num=fake.participants[b]["bib_num"])
    fake.modify(b, bib_num=300 + 1)  # a's old bib
    fake.modify(c, bib_num=fake.participants[d]["bib_num"])
    fake.modify(d, bib_num=303)
    fake.tick()
    new_ids = fake.add(EVENT, 6, seed=99, bib_from=40_000)
    inc = pull(conn, rsu, race, fake, per_page=1000)
    assert inc.fetched == 50 + len(last_second) and inc.pages == 1  # on or after the mark
    assert inc.seen_again == len(last_second)
    assert (inc.new, inc.changed) == (6, 44)
    after = entries(conn, race)
    assert len(after) == 20_006
    assert after[str(ids[100])] == (have[str(ids[100])][0], have[str(ids[100])][1], f"N{ids[100]}")
    assert after[str(ids[200])][:2] == (have[str(ids[200])][0], "30000")
    assert after[str(a)][1] == str(fake.participants[a]["bib_num"]) == "302"
    assert after[str(b)][1] == "301" and after[str(a)][0] == have[str(a)][0]
    assert all(str(r) in after for r in new_ids)
    audit = conn.execute(
        "SELECT field, count(*) FROM sync_changes WHERE race_id = %s GROUP BY field", (race,)
    ).fetchall()
    assert dict(audit) == {"chip": 30, "bib": 14}
    who = conn.execute("SELECT DISTINCT source, changed_by FROM sync_changes").fetchall()
    assert who[0][0] == "runsignup" and who[0][1].startswith("runsignup sync (")

    final = pull(conn, rsu, race, fake, per_page=1000)
    assert (final.new, final.changed, final.fetched) == (0, 0, final.seen_again)


def _results(conn: psycopg.Connection[Any], race: int, n_split: int) -> None:
    """Give every entry a finish (a few DNF/DQ) and a split at HALF, as scoring would."""
    partner, event = conn.execute(
        "SELECT partner_id, event_id FROM ct_races WHERE id = %s", (race,)
    ).fetchone()  # type: ignore[misc]
    conn.execute(
        "INSERT INTO ct_race_points (race_id, event_id, partner_id, location_name, kind, seq, "
        "distance_m) VALUES (%s, %s, %s, 'HALF', 'split', 1, 5000), "
        "(%s, %s, %s, 'FINISH', 'finish', 2, 10000)",
        (race, event, partner, race, event, partner),
    )
    conn.execute(
        "UPDATE ct_results SET status = CASE WHEN id %% 97 = 0 THEN 'DNF' WHEN id %% 101 = 0 "
        "THEN 'DQ' ELSE 'finished' END, chip_time = interval '40 minutes' + id * interval "
        "'0.37 seconds', gun_time = interval '40 minutes 30 seconds' + id * interval "
        "'0.37 seconds' WHERE race_id = %s",
        (race,),
    )
    conn.execute(
        "UPDATE ct_results SET chip_time = NULL, gun_time = NULL WHERE race_id = %s "
        "AND status <> 'finished'",
        (race,),
    )
    conn.execute(
        "INSERT INTO ct_splits (result_id, race_id, partner_id, point, distance_m, "
        "crossing_time, elapsed) SELECT id, race_id, partner_id, 'HALF', 5000, "
        "timestamp '2026-06-07 08:20:00', chip_time / 2 FROM ct_results "
        "WHERE race_id = %s AND status = 'finished' ORDER BY id LIMIT %s",
        (race, n_split),
    )


@pytest.mark.slow
def test_push_20000_then_100_changed(
    conn: psycopg.Connection[Any], rsu: RunSignUp, fake: FakeRunSignUp, race: int
) -> None:
    spread(fake, 20_000, per_second=50)
    pull(conn, rsu, race, fake, per_page=2500)
    _results(conn, race, 20_000)
    first = push_runsignup(conn, rsu, race_id=race)  # ids remembered from the pull
    assert first.created_set and first.splits_declared and not first.final
    assert (first.sent, first.batches) == (20_000, 20)
    (rs,) = fake.result_sets.values()
    assert rs.preliminary == "T" and [s["split_name"] for s in rs.splits] == ["HALF"]
    split = f"split-{rs.splits[0]['split_id']}"
    assert len(rs.results) == 20_000
    sample_id, bib, gun, chip, status = conn.execute(
        "SELECT r.id, r.bib, r.gun_time, r.chip_time, r.status FROM ct_results r "
        "WHERE race_id = %s AND status = 'finished' ORDER BY id LIMIT 1",
        (race,),
    ).fetchone()  # type: ignore[misc]
    reg = conn.execute(
        "SELECT registration_id FROM sync_registrations WHERE result_id = %s", (sample_id,)
    ).fetchone()[0]  # type: ignore[index]
    held = rs.results[str(reg)]
    assert held["bib_num"] == bib and held["registration_id"] == reg
    assert held["clock_time"] == _clock(gun) and held["chip_time"] == _clock(chip)
    assert held[split] == _clock(chip / 2)
    dnf = [v for v in rs.results.values() if v["clock_time"] == "DNF"]
    assert dnf and all(v["chip_time"] == "DNF" for v in dnf)

    # 100 changes: 90 corrected times, 10 splits withdrawn (sent as "X").
    changed = conn.execute(
        "UPDATE ct_results SET chip_time = chip_time + interval '1 second', "
        "gun_time = gun_time + interval '1 second' WHERE id IN (SELECT id FROM ct_results "
        "WHERE race_id = %s AND status = 'finished' ORDER BY id DESC LIMIT 90) RETURNING id",
        (race,),
    ).fetchall()
    gone = conn.execute(
        "DELETE FROM ct_splits WHERE result_id IN (SELECT result_id FROM ct_splits "
        "WHERE race_id = %s ORDER BY result_id LIMIT 10) RETURNING result_id",
        (race,),
    ).fetchall()
    assert len(changed) == 90 and len(gone) == 10
    received = fake.rows_received
    second = push_runsignup(conn, rsu, race_id=race)
    assert (second.sent, second.batches, second.created_set, second.splits_declared) == (
        100, 1, False, False,
    )  # fmt: skip
    assert fake.rows_received - received == 100
    reg_gone = conn.execute(
        "SELECT registration_id FROM sync_registrations WHERE result_id = %s", (gone[0][0],)
    ).fetchone()[0]  # type: ignore[index]
    assert split not in rs.results[str(reg_gone)]  # cleared with "X"
    assert "clock_time" in rs.results[str(reg_gone)]  # the rest kept
    assert push_runsignup(conn, rsu, race_id=race).sent == 0


def _clock(d: timedelta) -> str:
    cs = round(d.total_seconds() * 100)
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def test_a_500_then_success_is_retried(
    conn: psycopg.Connection[Any], rsu: RunSignUp, fake: FakeRunSignUp, race: int
) -> None:
    spread(fake, 30)
    fake.fail_next = 2
    s = pull(conn, rsu, race, fake, per_page=50)
    assert s.new == 30
    assert [m for m, path, _q in fake.log] == ["GET"] * 3


def test_500s_that_do_not_stop_give_one_clear_error(
    conn: psycopg.Connection[Any], url: str, fake: FakeRunSignUp, race: int
) -> None:
    spread(fake, 5)
    fake.fail_next = 99
    with make_client(url, fake, attempts=3) as client, pytest.raises(RemoteUnavailable) as info:
        pull(conn, client, race, fake)
    assert len(fake.log) == 3
    msg = str(info.value) + (info.value.hint or "")
    assert "after 3 tries (last: HTTP 500)" in msg
    assert fake.key not in msg and fake.secret not in msg
    assert conn.execute("SELECT count(*) FROM ct_results").fetchone() == (0,)


def test_a_timeout_is_retried(
    conn: psycopg.Connection[Any], url: str, fake: FakeRunSignUp, race: int
) -> None:
    spread(fake, 10)
    fake.delay_next = 2.0
    with make_client(url, fake, timeout=0.5) as client:
        s = pull(conn, client, race, fake)
    assert s.new == 10 and len(fake.log) == 2


def test_a_401_is_not_retried_and_names_the_settings(
    conn: psycopg.Connection[Any], url: str, fake: FakeRunSignUp, race: int
) -> None:
    spread(fake, 3)
    wrong = secrets.token_hex(24)
    with RunSignUp(url, Credentials(fake.key, wrong)) as client:
        with pytest.raises(RemoteRefused) as info:
            pull(conn, client, race, fake)
    assert info.value.status == 401 and len(fake.log) == 1
    assert str(info.value) == "RunSignUp refused the API key and secret"
    assert "P88_RUNSIGNUP_API_KEY" in (info.value.hint or "")
    assert wrong not in str(info.value) + (info.value.hint or "")


@pytest.mark.parametrize(
    ("remote_race", "event", "expected"),
    [
        (999, EVENT, "RunSignUp has no race 999"),
        (123_456, 111, "RunSignUp has no event 111 in race 123456"),
    ],
)
def test_an_unknown_race_or_event_names_the_flag(
    conn: psycopg.Connection[Any],
    rsu: RunSignUp,
    race: int,
    remote_race: int,
    event: int,
    expected: str,
) -> None:
    with pytest.raises(RemoteRefused) as info:
        pull_runsignup(conn, rsu, race_id=race, remote_race=remote_race, remote_event=event)
    assert str(info.value).startswith(expected)
    assert ("--race-id" if remote_race == 999 else "--event-id") in (info.value.hint or "")


def test_a_page_that_changes_between_calls_loses_nobody(
    conn: psycopg.Connection[Any], rsu: RunSignUp, fake: FakeRunSignUp, race: int
) -> None:
    ids = spread(fake, 35)

    def churn(f: FakeRunSignUp, served: int) -> None:
        if served == 1:  # after the first page: a refund, a new runner, a bib change
            del f.participants[ids[2]]
            f.tick()
            f.add(EVENT, 1, seed=7, bib_from=500)
            f.modify(ids[5], bib_num=777)

    fake.after_page = churn
    s = pull(conn, rsu, race, fake, per_page=10)
    have = entries(conn, race)
    # Every registration that existed throughout is in; offset paging would have skipped one.
    assert set(map(str, ids)) - {str(ids[2])} <= set(have)
    assert len(have) == 36 and s.pages == 4
    assert have[str(ids[5])][1] == "6"  # read before it changed ...
    fake.after_page = None
    nxt = pull(conn, rsu, race, fake, per_page=10)
    assert entries(conn, race)[str(ids[5])][1] == "777"  # ... and applied by the next pull
    assert nxt.changed == 1


def test_a_bib_taken_by_another_runner_writes_nothing(
    conn: psycopg.Connection[Any], rsu: RunSignUp, fake: FakeRunSignUp, race: int
) -> None:
    ids = spread(fake, 6)
    pull(conn, rsu, race, fake)
    fake.modify(ids[0], bib_num=fake.participants[ids[1]]["bib_num"])
    with pytest.raises(SyncError, match="registration .* still has it"):
        pull(conn, rsu, race, fake)
    assert entries(conn, race)[str(ids[0])][1] == "1"


def test_credentials_never_reach_a_log_line(
    conn: psycopg.Connection[Any],
    rsu: RunSignUp,
    fake: FakeRunSignUp,
    race: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    spread(fake, 5)
    fake.fail_next = 1
    with caplog.at_level(logging.DEBUG):
        pull(conn, rsu, race, fake)
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "HTTP Request" in text  # httpx did log the requests ...
    assert fake.key not in text and fake.secret not in text  # ... without the key or secret


def test_push_dry_run_sends_nothing(
    conn: psycopg.Connection[Any], rsu: RunSignUp, fake: FakeRunSignUp, race: int
) -> None:
    spread(fake, 12)
    pull(conn, rsu, race, fake)
    _results(conn, race, 5)
    before = len(fake.log)
    s = push_runsignup(conn, None, race_id=race, dry_run=True, batch=5)
    assert len(fake.log) == before and not fake.result_sets
    paths = [r.path.rsplit("/", 1)[1] for r in s.requests]
    assert paths == ["new-result-set", "result-set-splits"] + ["full-results"] * 3
    assert s.requests[2].body["results"][0]["split-<HALF>"]


def test_an_api_error_in_a_200_answer_is_still_an_error(
    conn: psycopg.Connection[Any], url: str, fake: FakeRunSignUp, race: int
) -> None:
    fake.errors_as_200 = True
    with RunSignUp(url, Credentials(fake.key, "wrong")) as client:
        with pytest.raises(RemoteRefused) as info:
            pull(conn, client, race, fake)
    assert (info.value.status, info.value.code) == (200, 6) and len(fake.log) == 1
    with make_client(url, fake) as client, pytest.raises(RemoteRefused, match="no event 5"):
        pull_runsignup(conn, client, race_id=race, remote_race=fake.race_id, remote_event=5)


def test_pull_dry_run_writes_nothing_and_link_is_remembered(
    conn: psycopg.Connection[Any], rsu: RunSignUp, fake: FakeRunSignUp, race: int
) -> None:
    spread(fake, 8)
    dry = pull(conn, rsu, race, fake, dry_run=True)
    assert dry.dry_run and dry.new == 8
    assert conn.execute("SELECT count(*) FROM ct_results").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM sync_links").fetchone() == (0,)
    pull(conn, rsu, race, fake)
    with pytest.raises(SyncError, match="give both --race-id and --event-id"):
        pull_runsignup(conn, rsu, race_id=race, remote_race=1)
    again = pull_runsignup(conn, rsu, race_id=race)  # ids remembered from the first pull
    assert (again.remote_race_id, again.remote_event_id, again.new) == (fake.race_id, EVENT, 0)
    other = ensure_race(conn, partner="Big River", event="Hartford 10K",
                        event_date=date(2026, 6, 7), race="5K", distance_m=5000)  # fmt: skip
    with pytest.raises(SyncError, match=f"race {other} is not linked to a RunSignUp race"):
        pull_runsignup(conn, rsu, race_id=other)


def test_a_403_names_the_race_and_what_to_fix(
    conn: psycopg.Connection[Any], rsu: RunSignUp, fake: FakeRunSignUp, race: int
) -> None:
    fake.denied = True
    with pytest.raises(RemoteRefused) as info:
        pull(conn, rsu, race, fake)
    assert (info.value.status, info.value.code, len(fake.log)) == (403, 7, 1)
    assert str(info.value) == f"RunSignUp denied access to race {fake.race_id}"
    assert info.value.hint == "the key's account must be a timer or director of that race"


def test_a_new_split_point_is_declared_with_the_existing_ids_kept(
    conn: psycopg.Connection[Any], rsu: RunSignUp, fake: FakeRunSignUp, race: int
) -> None:
    spread(fake, 6)
    pull(conn, rsu, race, fake)
    _results(conn, race, 6)
    push_runsignup(conn, rsu, race_id=race)
    (rs,) = fake.result_sets.values()
    half = rs.splits[0]["split_id"]
    partner, event = conn.execute(
        "SELECT partner_id, event_id FROM ct_races WHERE id = %s", (race,)
    ).fetchone()  # type: ignore[misc]
    conn.execute(
        "INSERT INTO ct_race_points (race_id, event_id, partner_id, location_name, kind, seq, "
        "distance_m) VALUES (%s, %s, %s, '8K', 'split', 2, 8000)",
        (race, event, partner),
    )
    s = push_runsignup(conn, rsu, race_id=race)
    assert s.splits_declared and s.sent == 0
    assert [(x["split_name"], x["split_id"] == half) for x in rs.splits] == [
        ("HALF", True), ("8K", False),
    ]  # fmt: skip
    assert push_runsignup(conn, rsu, race_id=race).splits_declared is False


def test_a_withdrawn_split_of_a_runner_still_out_on_course_is_cleared(
    conn: psycopg.Connection[Any], rsu: RunSignUp, fake: FakeRunSignUp, race: int
) -> None:
    spread(fake, 4)
    pull(conn, rsu, race, fake)
    _results(conn, race, 4)
    conn.execute(
        "UPDATE ct_results SET status = NULL, chip_time = NULL, gun_time = NULL WHERE race_id = %s",
        (race,),
    )  # mid-race: splits only, nobody finished
    assert push_runsignup(conn, rsu, race_id=race).sent == 4
    (rs,) = fake.result_sets.values()
    split = f"split-{rs.splits[0]['split_id']}"
    assert all(split in v and "clock_time" not in v for v in rs.results.values())
    gone = conn.execute(
        "DELETE FROM ct_splits WHERE result_id = (SELECT min(result_id) FROM ct_splits "
        "WHERE race_id = %s) RETURNING result_id",
        (race,),
    ).fetchone()[0]  # type: ignore[index]
    reg = conn.execute(
        "SELECT registration_id FROM sync_registrations WHERE result_id = %s", (gone,)
    ).fetchone()[0]  # type: ignore[index]
    assert push_runsignup(conn, rsu, race_id=race).sent == 1
    assert split not in rs.results[str(reg)]
    assert push_runsignup(conn, rsu, race_id=race).sent == 0


def test_the_fake_keeps_a_blank_split_and_clears_an_x(
    conn: psycopg.Connection[Any], rsu: RunSignUp, fake: FakeRunSignUp, race: int
) -> None:
    """The merge rule p88 relies on (leaving a split out keeps it), as the fake enforces it."""
    ids = spread(fake, 2)
    pull(conn, rsu, race, fake)
    _results(conn, race, 2)
    push_runsignup(conn, rsu, race_id=race)
    (rs,) = fake.result_sets.values()
    split = f"split-{rs.splits[0]['split_id']}"
    kept = rs.results[str(ids[0])][split]
    path = f"race/{fake.race_id}/results/full-results"
    params = {"event_id": EVENT, "individual_result_set_id": rs.id, "request_format": "json"}
    rsu.call(Request("POST", path, params, {"results": [{"registration_id": ids[0], split: ""}]}))
    assert rs.results[str(ids[0])][split] == kept
    rsu.call(Request("POST", path, params, {"results": [{"bib_num": "1", split: "X"}]}))
    assert split not in rs.results[str(ids[0])]
    with pytest.raises(RemoteRefused, match="first_name and last_name are required"):
        rsu.call(Request("POST", path, params, {"results": [{"bib_num": "999", split: "X"}]}))
    with pytest.raises(RemoteRefused, match="unknown split"):
        rsu.call(Request("POST", path, params, {"results": [{"bib_num": "1", "split-1": "X"}]}))
