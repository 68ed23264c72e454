"""Race day end to end: pull, reads arrive, score, push as the race goes, final results.

The fake RunSignUp runs over a real socket; the CLI is driven in-process (CliRunner) with
credentials from the environment; the simulated race's reads are CT01_33 files played by
``p88 replay``'s client into ``p88 listen``'s listener over TCP on 127.0.0.1, window by
window; scoring is ``score_race``, exactly as on a timing laptop.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from p88.cli.main import app
from p88.listener import Listener, ListenOptions
from p88.protocol.replay import ReplayConfig, replay
from p88.sim.plan import plan_clients
from p88.store import connect, race_points
from p88.store.results import PointRule, ScoreOptions, ensure_race, score_race
from tests.fake_runsignup import FakeRunSignUp, serving

DAY = date(2026, 6, 7)
GUN = datetime.combine(DAY, time(8, 0))
EVENT = 777
runner = CliRunner()


@pytest.fixture
def fake() -> FakeRunSignUp:
    return FakeRunSignUp(secrets.token_hex(16), secrets.token_hex(24), 4242, (EVENT,))


@pytest.fixture
def rsu_env(fake: FakeRunSignUp, p88_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with serving(fake) as url:
        monkeypatch.setenv("P88_RUNSIGNUP_URL", url)
        monkeypatch.setenv("P88_RUNSIGNUP_API_KEY", fake.key)
        monkeypatch.setenv("P88_RUNSIGNUP_API_SECRET", fake.secret)
        yield url


def cli(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def simulate(chips: dict[str, str], seed: int) -> tuple[list[tuple[datetime, str, str]], set[str]]:
    """(moment, location, chip) crossings of a 10K; some never start, some stop at halfway."""
    rng = random.Random(seed)
    crossings: list[tuple[datetime, str, str]] = []
    dnf: set[str] = set()
    for i, (bib, chip) in enumerate(sorted(chips.items())):
        if i % 29 == 3:
            continue  # DNS: no reads at all
        start = GUN + timedelta(seconds=rng.uniform(2, 60))
        minutes = rng.uniform(36, 75)
        half = start + timedelta(minutes=minutes * rng.uniform(0.47, 0.52))
        crossings += [(start, "START", chip), (start + timedelta(seconds=0.4), "START", chip)]
        crossings.append((half, "HALF", chip))
        if i % 31 == 5:
            dnf.add(bib)
            continue
        crossings.append((start + timedelta(minutes=minutes), "FINISH", chip))
    crossings.sort()
    return crossings, dnf


def ct33(crossings: list[tuple[datetime, str, str]], seq: dict[str, int], path: Path) -> Path:
    """The crossings as a ChronoTrack controller records them (ISO times, sequence per point)."""
    lines = []
    for moment, location, chip in crossings:
        seq[location] = seq.get(location, 0) + 1
        clock = moment.isoformat(timespec="milliseconds")[:-1]
        lines.append(f"CT01_33~{seq[location]}~{location}~{chip}~{clock}~1~R1~1\n")
    path.write_text("".join(lines))
    return path


def listen_and_replay(db_url: str, spool: Path, capture: Path) -> None:
    """Start p88's listener on a free port, play the capture into it over TCP, stop it."""

    async def main() -> None:
        listener = Listener(db_url, ListenOptions(spool_dir=spool, port=0, session="river-run"))
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(listener.run(stop, ready=ready))
        await asyncio.wait_for(ready.wait(), 20)
        try:
            assert listener.server is not None
            plan = plan_clients([capture], day0=DAY, event="river-run")
            config = ReplayConfig("127.0.0.1", listener.server.bound_port, speed=None,
                                  linger_s=0.2, give_up_s=15)  # fmt: skip
            await asyncio.wait_for(replay(plan, config), 60)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)

    asyncio.run(main())


def prelim(fake: FakeRunSignUp, final: bool = False) -> Any:
    (rs,) = [r for r in fake.result_sets.values() if (r.preliminary == "F") == final]
    return rs


@pytest.mark.slow
def test_race_day_pull_score_push_final(
    rsu_env: str, fake: FakeRunSignUp, db_url: str, tmp_path: Path
) -> None:
    fake.tick()
    ids = fake.add(EVENT, 150, seed=3)
    with connect(db_url, autocommit=True) as conn:
        race = ensure_race(conn, partner="Big River", event="River Run", event_date=DAY,
                           race="10K", distance_m=10_000, start=time(8, 0))  # fmt: skip
    pulled = cli("sync", "runsignup", "pull", "--race", str(race), "--race-id", "4242",
                 "--event-id", str(EVENT))  # fmt: skip
    assert pulled["new"] == 150
    chips = {str(p["bib_num"]): p["chip_num"] for p in fake.participants.values()}
    # Race morning: a runner swaps to a spare chip at packet pickup.
    fake.modify(ids[10], chip_num="SPARE1")
    chips[str(fake.participants[ids[10]]["bib_num"])] = "SPARE1"
    assert cli("sync", "runsignup", "pull", "--race", str(race))["changed"] == 1

    crossings, dnf = simulate(chips, seed=11)
    points = [PointRule("START", "start"), PointRule("HALF", "split", seq=1, distance_m=5000),
              PointRule("FINISH", "finish", distance_m=10_000)]  # fmt: skip
    seq: dict[str, int] = {}
    windows = [GUN + timedelta(minutes=m) for m in (20, 40, 60, 200)]
    done = 0
    with connect(db_url, autocommit=True) as conn:
        # Set before the first read, as the race-day recipe does: the finish has no reads
        # in the first windows, and a point is checked against the session's locations
        # only once it has some.
        race_points.save(conn, race, points)
        for n, until in enumerate(windows):
            batch = [c for c in crossings[done:] if c[0] < until]
            done += len(batch)
            listen_and_replay(db_url, tmp_path / "spool", ct33(batch, seq, tmp_path / f"w{n}.ct33"))
            session = conn.execute(
                "SELECT id FROM timing_sessions WHERE session_name = 'river-run'"
            ).fetchone()[0]  # type: ignore[index]
            stored = conn.execute(
                "SELECT count(*) FROM timing_reads WHERE session_id = %s", (session,)
            ).fetchone()
            assert stored == (done,)  # every read of the window arrived, once
            opts = ScoreOptions()
            score_race(conn, race, session, opts)
            pushed = cli("sync", "runsignup", "push", "--race", str(race))
            assert pushed["final"] is False and pushed["created_set"] == (n == 0)
            rs = prelim(fake)
            half = f"split-{rs.splits[0]['split_id']}"
            db = dict(
                conn.execute(
                    "SELECT s.registration_id::text, r.gun_time FROM ct_results r "
                    "JOIN sync_registrations s ON s.result_id = r.id "
                    "WHERE r.race_id = %s AND r.status = 'finished'",
                    (race,),
                ).fetchall()
            )
            shown = {k: v for k, v in rs.results.items() if "clock_time" in v}
            assert set(shown) == set(db)  # exactly the finishers so far, nobody early
            assert all(shown[k]["clock_time"] == _clock(db[k]) for k in db)
            passed_half = conn.execute(
                "SELECT count(*) FROM ct_splits WHERE race_id = %s AND point = 'HALF'", (race,)
            ).fetchone()
            assert sum(half in v for v in rs.results.values()) == passed_half[0]  # type: ignore[index]
        assert done == len(crossings)
        spare = str(ids[10])
        assert rs.results[spare]["chip_num"] == "SPARE1" and "clock_time" in rs.results[spare]

        # Pushing again on a timer with nothing new sends nothing.
        again = runner.invoke(
            app, ["sync", "runsignup", "push", "--race", str(race), "--every", "0.05",
                  "--runs", "2", "--json"],
        )  # fmt: skip
        assert again.exit_code == 0
        assert [json.loads(doc)["sent"] for doc in _docs(again.stdout)] == [0, 0]

        score_race(conn, race, session, ScoreOptions(final=True))
        final = cli("sync", "runsignup", "push", "--race", str(race), "--final")
    assert final["final"] and final["created_set"] and final["sent"] == 150
    fin = prelim(fake, final=True)
    assert not prelim(fake).results  # the preliminary set was emptied
    statuses = [v["clock_time"] for v in fin.results.values()]
    assert statuses.count("DNS") == sum(1 for i in range(150) if i % 29 == 3)
    assert statuses.count("DNF") == len(dnf)
    assert len(fin.results) == 150


def _docs(text: str) -> list[str]:
    """Split concatenated pretty-printed JSON documents."""
    docs, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
            if depth == 1:
                start = i
        elif ch == "}":
            depth -= 1
            if depth == 0:
                docs.append(text[start : i + 1])
    return docs


def _clock(d: timedelta) -> str:
    cs = round(d.total_seconds() * 100)
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def test_credentials_missing_is_one_line(p88_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("P88_RUNSIGNUP_API_KEY", raising=False)
    result = runner.invoke(app, ["sync", "runsignup", "pull", "--race", "1", "--race-id", "1",
                                 "--event-id", "2"])  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: RunSignUp credentials are not set (set P88_RUNSIGNUP_API_KEY and "
        "P88_RUNSIGNUP_API_SECRET, or runsignup_api_key / runsignup_api_secret in p88.toml)\n"
    )


def test_a_wrong_key_is_one_line_without_the_key(
    rsu_env: str,
    fake: FakeRunSignUp,
    conn: psycopg.Connection[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    race = ensure_race(conn, partner="P", event="E", event_date=DAY, race="5K", distance_m=5000)
    wrong = secrets.token_hex(20)
    monkeypatch.setenv("P88_RUNSIGNUP_API_SECRET", wrong)
    result = runner.invoke(app, ["sync", "runsignup", "pull", "--race", str(race), "--race-id",
                                 "4242", "--event-id", str(EVENT)])  # fmt: skip
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: RunSignUp refused the API key and secret (set ")
    assert wrong not in result.output and fake.key not in result.output


def test_dry_run_push_shows_requests_without_credentials(
    rsu_env: str, fake: FakeRunSignUp, conn: psycopg.Connection[Any]
) -> None:
    fake.tick()
    fake.add(EVENT, 4)
    race = ensure_race(conn, partner="P", event="E", event_date=DAY, race="5K", distance_m=5000)
    pulled = runner.invoke(app, ["sync", "runsignup", "pull", "--race", str(race), "--race-id",
                                 "4242", "--event-id", str(EVENT)])  # fmt: skip
    assert pulled.exit_code == 0
    assert pulled.stdout.startswith(
        f"Race {race} <- RunSignUp race 4242 event {EVENT} (every participant): 4 fetched in "
        "1 page(s); wrote 4 new and 0 changed, 0 unchanged, 0 without a bib yet ("
    )
    conn.execute("UPDATE ct_results SET status = 'DNS' WHERE race_id = %s", (race,))
    before = len(fake.log)
    result = runner.invoke(app, ["sync", "runsignup", "push", "--race", str(race), "--dry-run"])
    assert result.exit_code == 0 and len(fake.log) == before
    assert "Dry run: 4 row(s) would be sent" in result.stdout
    assert "new-result-set" in result.stdout and "full-results" in result.stdout
    assert fake.key not in result.output and fake.secret not in result.output


def test_config_masks_the_runsignup_credentials(
    p88_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, secret = secrets.token_hex(16), secrets.token_hex(24)
    monkeypatch.setenv("P88_RUNSIGNUP_API_KEY", key)
    monkeypatch.setenv("P88_RUNSIGNUP_API_SECRET", secret)
    table = runner.invoke(app, ["config"])
    assert table.exit_code == 0 and key not in table.output and secret not in table.output
    result = runner.invoke(app, ["config", "--json"])
    shown = {s["name"]: s for s in json.loads(result.stdout)["settings"]}
    assert key not in result.output and secret not in result.output
    assert shown["runsignup_api_key"]["value"] == shown["runsignup_api_secret"]["value"] == "****"
    assert shown["runsignup_api_key"]["source"] == "env P88_RUNSIGNUP_API_KEY"
    assert shown["runsignup_url"]["value"] == "https://runsignup.com/Rest/"
