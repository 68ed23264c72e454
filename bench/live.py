"""Live results: from a read's commit to its placed result, at a big race's finish peak.

Run:  python bench/live.py [--runners 50000] [--window 90] [--peak 300]

A simulated marathon of RUNNERS entrants with 6 timing points (START, 10K, 20K, 30K, 40K,
FINISH) on a fresh database ``p88_bench_live``. Two races hold the same entrants on the
one session: race A is scored by ``p88 results follow`` (continuous scoring), race B by
``p88 results score --every 5`` (the current approach, the baseline); both run as their
own processes beside a real ``p88 listen``, in the same run, so they share the machine.

The race is compressed in time, not in rate: everything before the busiest stretch of
the finish is loaded and scored first (``import`` and one full ``score`` of each race, not
timed); then the WINDOW seconds around the peak are replayed into the listener over
CTP01 (``p88 replay``, a process of its own) at the speed that makes the busiest second
PEAK reads/s. Timed, per read (all reads, and finish reads alone):

* its commit: the listener's NOTIFY for the batch holding it, as this process receives it;
* follower: the follower's announcement (NOTIFY p88_results) of the step that scored it;
* baseline: the end of the first ``score`` run that started after it committed.

Then the backlog: reads committed but not yet scored by the follower, at each commit, and
how long after the last read's commit the follower had scored everything. CPU: the
follower process's and its PostgreSQL backend's (``/proc``) over the window, per read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from p88 import config
from p88.fileimport import import_reads
from p88.sim import build_course, simulate
from p88.sim.files import SimulatedRace, to_message, write_race
from p88.store.connect import connect, database_url
from p88.store.embedded import with_database
from p88.store.live import CHANNEL, ReadsCommitted
from p88.store.migrations import migrate
from p88.store.results import PointRule, ScoreOptions, score_race
from p88.store.results import points as pts
from p88.store.results.announce import RESULTS_CHANNEL, ResultsChanged
from p88.store.spool import SessionInfo

sys.path.insert(0, str(Path(__file__).parent))
from replay import free_port, wait_port  # noqa: E402

DB = "p88_bench_live"
SESSION = "bench-live"
POINTS = "START,10K,20K,30K,40K,FINISH"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Timeline:
    """What this process saw, in its own clock (time.monotonic)."""

    commits: list[tuple[float, int, int]] = field(default_factory=list)  # at, first, last id
    follower: list[tuple[float, int]] = field(default_factory=list)  # at, scored up to id
    baseline: list[tuple[float, float]] = field(default_factory=list)  # run start, run end


def fresh(server: str) -> str:
    with connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    url = with_database(server, DB)
    with connect(url, autocommit=True) as conn:
        migrate(conn)
    return url


def make_races(conn: psycopg.Connection[Any], race: SimulatedRace) -> tuple[int, int]:
    """Races A and B with every simulated runner (bib = tag), and their points."""
    course = race.course
    conn.execute("INSERT INTO timing_partners (name, code) VALUES ('Bench', 'bench')")
    conn.execute(
        "INSERT INTO ct_events (partner_id, name, event_date) SELECT id, 'Bench Marathon', %s "
        "FROM timing_partners",
        (course.waves[0].date(),),
    )
    ids = []
    for name in ("A follow", "B every 5 s"):
        row = conn.execute(
            "INSERT INTO ct_races (partner_id, event_id, name, distance_m, start_time) "
            "SELECT partner_id, id, %s, 42195, %s FROM ct_events RETURNING id",
            (name, course.waves[0]),
        ).fetchone()
        assert row is not None
        ids.append(int(row[0]))
        for i, gun in enumerate(course.waves, start=1):
            conn.execute(
                "INSERT INTO ct_race_waves (race_id, event_id, partner_id, wave, start_time) "
                "SELECT id, event_id, partner_id, %s, %s FROM ct_races WHERE id = %s",
                (str(i), gun, ids[-1]),
            )
        rules = [
            PointRule(
                p.name,
                "start" if i == 0 else "finish" if i == len(course.points) - 1 else "split",
                seq=i,
                distance_m=round(p.metres),
            )
            for i, p in enumerate(course.points)
        ]
        pts.save(conn, ids[-1], rules)
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY ct_participants (id, first_name, last_name, sex, birth_year) FROM STDIN"
        ) as copy,
    ):
        for r in race.runners:
            copy.write_row((r.bib, "Runner", f"No{r.bib}", "FM"[r.bib % 2], 1950 + r.bib % 55))
    for rid in ids:
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY ct_results (partner_id, event_id, race_id, participant_id, bib, sex, age, "
                "wave) FROM STDIN"
            ) as copy,
        ):
            for r in race.runners:
                copy.write_row(
                    (
                        1,
                        1,
                        rid,
                        r.bib,
                        r.tag,
                        "FM"[r.bib % 2],
                        2026 - 1950 - r.bib % 55,
                        str(r.wave),
                    )
                )
    return ids[0], ids[1]


def peak_window(race: SimulatedRace, window_race_s: float) -> tuple[datetime, datetime, float]:
    """The stretch of race time, ``window_race_s`` long, that ends just after the busiest
    minute at the finish; and that minute's reads per race second (all points)."""
    moments = sorted(x.when for lines in race.lines.values() for x in lines if x.tag != "guntime")
    finish = sorted(x.when for x in race.lines[race.course.points[-1].name])
    step = timedelta(seconds=60)
    busiest, best = finish[0], 0
    for i, t in enumerate(finish):
        n = bisect_left(finish, t + step) - i
        if n > best:
            busiest, best = t, n
    rate = (bisect_left(moments, busiest + step) - bisect_left(moments, busiest)) / 60
    end = busiest + step + timedelta(seconds=window_race_s * 0.25)
    return end - timedelta(seconds=window_race_s), end, rate


def split_race(
    race: SimulatedRace, start: datetime, end: datetime
) -> tuple[list[Any], SimulatedRace]:
    """The lines before ``start`` (to import) and the race's lines in [start, end) to replay."""
    day0 = race.course.waves[0].date()
    before = [
        to_message(x, "iso", day0) for lines in race.lines.values() for x in lines if x.when < start
    ]
    window = {
        name: [x for x in lines if start <= x.when < end] for name, lines in race.lines.items()
    }
    return before, replace(race, lines=window)


async def watch(url: str, race_a: int, timeline: Timeline, stop: asyncio.Event) -> None:
    """Receive the listener's and the follower's notifications, stamped on arrival."""
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(RESULTS_CHANNEL)))
    while not stop.is_set():
        async for note in conn.notifies(timeout=0.2):
            at = time.monotonic()
            if note.channel == CHANNEL:
                event = ReadsCommitted.decode(note.payload)
                timeline.commits.append((at, event.max_id - event.count + 1, event.max_id))
            else:
                done = ResultsChanged.decode(note.payload)
                if done is not None and done.race_id == race_a:
                    timeline.follower.append((at, done.upto))
    await conn.close()


def read_baseline(proc: subprocess.Popen[bytes], timeline: Timeline) -> None:
    """Each ``score --json`` run printed: its end is now, its start ``seconds`` before."""
    text: list[str] = []
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.decode()
        text.append(line)
        if line.rstrip() == "}":
            run = json.loads("".join(text))
            text = []
            now = time.monotonic()
            timeline.baseline.append((now - float(run["seconds"]), now))


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def backend_pid(url: str, application: str) -> int | None:
    with connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = %s",
            (application, DB),
        ).fetchone()
    return int(row[0]) if row else None


def latencies(timeline: Timeline, finish_ids: set[int]) -> dict[str, dict[str, list[float]]]:
    """Per read: commit -> follower's announcement, and commit -> baseline run end."""
    ups = sorted(timeline.follower, key=lambda x: x[0])
    runs = sorted(timeline.baseline)
    out: dict[str, dict[str, list[float]]] = {
        "follow": {"all": [], "finish": []},
        "every 5 s": {"all": [], "finish": []},
    }
    for at, first, last in timeline.commits:
        done_f = next((t for t, upto in ups if t >= at and upto >= last), None)
        done_b = next((end for start, end in runs if start >= at), None)
        for read_id in range(first, last + 1):
            kinds = ("all", "finish") if read_id in finish_ids else ("all",)
            for kind in kinds:
                if done_f is not None:
                    out["follow"][kind].append(done_f - at)
                if done_b is not None:
                    out["every 5 s"][kind].append(done_b - at)
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runners", type=int, default=50_000)
    parser.add_argument("--window", type=float, default=90.0, help="wall seconds replayed")
    parser.add_argument("--peak", type=float, default=300.0, help="reads/s at the peak")
    parser.add_argument("--waves", default="4")
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="leave `score --every 5` out (the follower alone)",
    )
    args = parser.parse_args()

    url = fresh(database_url(config.load()))
    t0 = time.monotonic()
    race = simulate(build_course(POINTS, "marathon", args.waves), args.runners, seed=21)
    window_guess = args.window * 10
    start, end, race_rate = peak_window(race, window_guess)
    speed = args.peak / race_rate
    start, end, _ = peak_window(race, args.window * speed)
    before, window = split_race(race, start, end)
    replayed = sum(len(v) for v in window.lines.values())
    print(
        f"race: {args.runners:,} runners, {POINTS}; busiest minute at the finish: "
        f"{race_rate:.1f} reads per race second -> speed {speed:.2f}x for {args.peak:.0f}/s"
    )
    with connect(url, autocommit=True) as conn:
        race_a, race_b = make_races(conn, race)
        import_reads(conn, SessionInfo(SESSION), before)
        sid = conn.execute("SELECT id FROM timing_sessions").fetchone()[0]  # type: ignore[index]
        conn.execute("UPDATE ct_races SET session_id = %s", (sid,))
        for r in (race_a, race_b):
            score_race(conn, r, sid, ScoreOptions(full=True))
        for table in ("timing_reads", "ct_results", "ct_read_verdicts", "ct_splits"):
            # what autovacuum does over a race's first hours; just after a bulk load the
            # planner would otherwise take a 600,000-read table for an empty one
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    print(
        f"set-up (not timed): {len(before):,} reads before {start:%H:%M:%S} imported and "
        f"scored in {time.monotonic() - t0:.0f} s; replaying {replayed:,} reads "
        f"{start:%H:%M:%S}-{end:%H:%M:%S} race time in ~{args.window:.0f} s"
    )
    files = write_race(window, Path(tempfile.mkdtemp(prefix="p88-bench-live-")), "iso")
    files = [f for f in files if f.stat().st_size]  # a point with nothing in the window

    env = {**os.environ, "P88_DATABASE_URL": url}
    port = free_port()
    py = [sys.executable, "-m", "p88"]
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    spool = tempfile.mkdtemp(prefix="p88-bench-spool-")
    listen = subprocess.Popen(
        [*py, "listen", "--port", str(port), "--session", SESSION, "--spool-dir", spool],
        env=env, **quiet,
    )  # fmt: skip
    steps_log = Path(spool) / "follow.jsonl"
    follow = subprocess.Popen(
        [*py, "results", "follow", "--race", str(race_a), "--json"],
        env=env, stdout=steps_log.open("wb"), stderr=subprocess.DEVNULL,
    )  # fmt: skip
    timeline = Timeline()
    procs = [follow, listen]
    if not args.no_baseline:
        baseline = subprocess.Popen(
            [*py, "results", "score", "--race", str(race_b), "--every", "5", "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        threading.Thread(target=read_baseline, args=(baseline, timeline), daemon=True).start()
        procs.insert(1, baseline)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    watcher = threading.Thread(
        target=loop.run_until_complete, args=(watch(url, race_a, timeline, stop),), daemon=True
    )
    watcher.start()
    try:
        wait_port(port, listen)
        deadline = time.monotonic() + 120
        while backend_pid(url, "p88 results follow") is None and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # the follower's first step (a full one would show here: it must not)
        backend = backend_pid(url, "p88 results follow")
        cpu0 = (cpu_s(follow.pid), cpu_s(backend) if backend else 0.0)
        played_from = time.monotonic()
        subprocess.run(
            [*py, "replay", *map(str, files), "--to", f"127.0.0.1:{port}",
             "--speed", f"{speed:.4f}"],
            env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        with connect(url, autocommit=True) as conn:
            total = conn.execute("SELECT max(id) FROM timing_reads").fetchone()[0]  # type: ignore[index]
        deadline = time.monotonic() + 120
        while (
            not any(upto >= total for _, upto in timeline.follower) and time.monotonic() < deadline
        ):
            time.sleep(0.01)
        cpu1 = (cpu_s(follow.pid), cpu_s(backend) if backend else 0.0)
        if not args.no_baseline:
            time.sleep(6)  # the baseline's next run
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(30)
        loop.call_soon_threadsafe(stop.set)
        watcher.join(5)
    steps = [json.loads(line) for line in steps_log.read_text().splitlines() if line.strip()]
    seconds = sorted(
        x["seconds"] for x in steps if not x["full"] and x["new_reads"] and x["upto"] > 0
    )
    if seconds:
        print(
            f"follower steps: {len(seconds):,} with new reads; step time p50 "
            f"{pct(seconds, 0.5) * 1000:.0f} ms, p99 {pct(seconds, 0.99) * 1000:.0f} ms; "
            f"reads per step p50 {pct(sorted(x['new_reads'] for x in steps), 0.5):.0f}; "
            f"places moved per step p50 "
            f"{pct(sorted(x['places_changed'] for x in steps), 0.5):.0f} "
            f"(total {sum(x['places_changed'] for x in steps):,})"
        )
    report(url, timeline, race_a, race_b, played_from, cpu0, cpu1, total)


def report(
    url: str,
    timeline: Timeline,
    race_a: int,
    race_b: int,
    played_from: float,
    cpu0: tuple[float, float],
    cpu1: tuple[float, float],
    total: int,
) -> None:
    commits = [c for c in timeline.commits if c[0] >= played_from]
    timeline.commits = commits
    first_id = min(c[1] for c in commits)
    with connect(url, autocommit=True) as conn:
        finish_ids = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM timing_reads WHERE id >= %s AND location_name = 'FINISH'",
                (first_id,),
            )
        }
        score_race(conn, race_b, options=ScoreOptions())
        same = conn.execute(
            "SELECT count(*) FROM ct_results a JOIN ct_results b ON a.bib = b.bib "
            "AND b.race_id = %s WHERE a.race_id = %s AND (a.status, a.chip_time, a.gun_time, "
            "a.overall_place, a.sex_place, a.age_group_place, a.note) IS NOT DISTINCT FROM "
            "(b.status, b.chip_time, b.gun_time, b.overall_place, b.sex_place, "
            "b.age_group_place, b.note)",
            (race_b, race_a),
        ).fetchone()[0]  # type: ignore[index]
        entries = conn.execute(
            "SELECT count(*) FROM ct_results WHERE race_id = %s", (race_a,)
        ).fetchone()[0]  # type: ignore[index]
    reads = sum(last - first + 1 for _, first, last in commits)
    span = commits[-1][0] - commits[0][0]
    per_s = Counter(int(at - commits[0][0]) for at, lo, hi in commits for _ in range(lo, hi + 1))
    print(
        f"replayed: {reads:,} reads committed in {span:.1f} s, in {len(commits):,} batches; "
        f"busiest second {max(per_s.values())} reads/s"
    )
    lat = latencies(timeline, finish_ids)
    print(f"{'commit -> placed, announced':<28} {'p50 s':>7} {'p99 s':>7} {'max s':>7} {'n':>8}")
    for who, kinds in lat.items():
        for kind, values in kinds.items():
            print(
                f"{who + ' (' + kind + ')':<28} {pct(values, 0.5):>7.3f} {pct(values, 0.99):>7.3f}"
                f" {max(values, default=float('nan')):>7.3f} {len(values):>8,}"
            )
    ups = sorted(timeline.follower)
    backlog = []
    for at, _, last in commits:
        scored = max((upto for t, upto in ups if t <= at), default=first_id - 1)
        backlog.append(max(0, last - scored))
    caught = next((t for t, upto in ups if upto >= total), None)
    last_commit = max(at for at, _, last in commits if last >= total) if commits else 0.0
    after = (caught - last_commit) if caught else float("nan")
    print(
        f"follower backlog: max {max(backlog):,} reads; scored everything {after:.3f} s "
        "after the last commit"
    )
    f50 = pct(lat["follow"]["all"], 0.5)
    b50 = pct(lat["every 5 s"]["all"], 0.5)
    if lat["every 5 s"]["all"]:
        print(f"ratio (same run): baseline p50 / follower p50 = {b50 / f50:.1f}x")
    client, server = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    print(
        f"follower CPU over the window: {client:.2f} s process + {server:.2f} s PostgreSQL "
        f"backend = {1000 * (client + server) / max(reads, 1):.2f} ms per read"
    )
    print(f"race A (followed) equals race B (scored by runs): {same:,} of {entries:,} results")


if __name__ == "__main__":
    main()
