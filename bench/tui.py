"""Leaderboard benchmark: commit-to-screen latency and refresh times with 5,000 runners.

    python bench/tui.py [--runners 5000] [--seconds 15] [--rates 20,200]

A race of N runners (results tables filled, so names are joined) with ~3 reads per
crossing already stored at START and 10K for everyone, HALF for 60 %, FINISH for 30 %.
The leaderboard runs headless in this process on the crossings tab, its standings set to
FINISH. A writer *process* then commits one read per transaction (with its NOTIFY, as the
listener does) at each rate in turn, and records when each commit returned. The app
records when each new read was first part of a frame it rendered (``App._display``, plus
turning that frame into terminal bytes). Printed: commit-to-screen p50/p99/max per rate,
and how long one refresh takes (crossings, standings, header), side by side with ratios.
Uses P88_DATABASE_URL or the embedded server; makes and drops database p88_bench_tui.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import psycopg

from p88 import config, store
from p88.store import ReadsCommitted, connect, database_url, migrate, notify, with_database
from p88.tui import LeaderboardApp

DB = "p88_bench_tui"
GUN = datetime(2025, 10, 11, 8, 0, 0)
POINTS = ("START", "10K", "HALF", "FINISH")

PREFILL = """
WITH p AS (INSERT INTO timing_partners (name, code) VALUES ('Bench Timing', 'bench') RETURNING id),
e AS (INSERT INTO ct_events (partner_id, name, event_date) SELECT id, 'Bench Marathon',
      '2025-10-11' FROM p RETURNING id, partner_id),
r AS (INSERT INTO ct_races (partner_id, event_id, name, distance_m, start_time, session_id)
      SELECT partner_id, id, 'Marathon', 42195, %(gun)s, %(s)s FROM e RETURNING id, event_id,
      partner_id),
pp AS (INSERT INTO ct_participants (first_name, last_name, sex)
       SELECT 'Runner' || g, 'Number' || g, CASE WHEN g %% 2 = 0 THEN 'F' ELSE 'M' END
       FROM generate_series(1, %(n)s) g RETURNING id)
INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib, sex, age_group)
SELECT r.partner_id, r.event_id, r.id, pp.id, (1000 + pp.id)::text,
       CASE WHEN pp.id %% 2 = 0 THEN 'F' ELSE 'M' END,
       (20 + 5 * (pp.id %% 10))::text || '-' || (24 + 5 * (pp.id %% 10))::text
FROM r, pp
"""

READS = """
INSERT INTO timing_reads (session_id, location_id, location_name, tag_code, read_time,
                          read_date, read_timestamp, reader_id, gator_number, received_at)
SELECT %(s)s, l.id, l.location_name, (1000 + g)::text, ts::time, ts::date, ts, 'B1', k,
       now() - interval '10 minutes'
FROM generate_series(1, %(n)s) g
CROSS JOIN generate_series(1, 3) k
JOIN timing_locations l ON l.session_id = %(s)s AND l.location_name = %(point)s
CROSS JOIN LATERAL (SELECT %(gun)s::timestamp + make_interval(secs =>
    %(base)s + %(spread)s * ((g * 7919) %% %(n)s) / %(n)s::float + k * 0.4) AS ts) t
WHERE (g * 7919) %% 100 < %(share)s
"""


def prepare(url: str, runners: int) -> int:
    """Schema, the race, and the reads already stored; returns the session id."""
    with connect(url, autocommit=True) as conn:
        migrate(conn)
        row = conn.execute(
            "INSERT INTO timing_sessions (session_name, event_name) "
            "VALUES ('Bench_Marathon', 'Bench Marathon') RETURNING id"
        ).fetchone()
        assert row
        sid = int(row[0])
        for point in POINTS:
            conn.execute(
                "INSERT INTO timing_locations (session_id, location_name) VALUES (%s, %s)",
                (sid, point),
            )
        conn.execute(PREFILL, {"gun": GUN, "s": sid, "n": runners})
        for point, base, spread, share in (
            ("START", 0, 600, 100),
            ("10K", 2400, 3000, 100),
            ("HALF", 5000, 4000, 60),
            ("FINISH", 9000, 6000, 30),
        ):
            conn.execute(
                READS,
                {
                    "s": sid,
                    "n": runners,
                    "point": point,
                    "gun": GUN,
                    "base": base,
                    "spread": spread,
                    "share": share,
                },
            )
        conn.execute("ANALYZE")
        total = conn.execute("SELECT count(*) FROM timing_reads").fetchone()
        print(f"prefilled {runners:,} runners, {total[0] if total else 0:,} reads")
    return sid


def writer(url: str, sid: int, runners: int, rate: float, seconds: float, phase: int) -> None:
    """Commit one FINISH read per transaction at ``rate``/s; print [(id, commit time)]."""
    rng = random.Random(phase)
    done: list[tuple[int, float]] = []
    with psycopg.connect(url, autocommit=True) as conn:
        loc = conn.execute(
            "SELECT id FROM timing_locations WHERE session_id = %s AND location_name = 'FINISH'",
            (sid,),
        ).fetchone()
        assert loc
        start = time.monotonic()
        n = int(rate * seconds)
        for i in range(n):
            due = start + i / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            tag = str(1000 + rng.randint(1, runners))
            ts = GUN + timedelta(seconds=15000 + 1000 * phase + i / rate + rng.random())
            with conn.transaction():
                row = conn.execute(
                    "INSERT INTO timing_reads (session_id, location_id, location_name, tag_code,"
                    " read_time, read_date, read_timestamp, reader_id, gator_number)"
                    " VALUES (%s, %s, 'FINISH', %s, %s, %s, %s, 'W1', %s) RETURNING id",
                    (sid, loc[0], tag, ts.time(), ts.date(), ts, i % 4 + 1),
                ).fetchone()
                assert row
                notify(conn, ReadsCommitted((sid,), int(row[0]), 1))
            done.append((int(row[0]), time.monotonic()))
    sys.stdout.write(json.dumps(done))


class MeasuredApp(LeaderboardApp):
    """The real app, with stopwatches on its refreshes and on its frames."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self.pending: list[int] = []
        self.updated_at = 0.0
        self.on_screen: dict[int, float] = {}
        self.timings: dict[str, list[float]] = {"crossings": [], "standings": [], "header": []}
        self.frames: list[float] = []

    def show_crossings(self, rows: list[store.TimedRead]) -> None:
        super().show_crossings(rows)
        if not self.pending:
            self.updated_at = time.monotonic()
        self.pending.extend(r.id for r in rows)

    def _display(self, screen: Any, renderable: Any) -> None:
        if renderable is not None and hasattr(renderable, "render_segments"):
            renderable.render_segments(self.console)  # the bytes a terminal would get
        super()._display(screen, renderable)
        now = time.monotonic()
        if self.pending:
            self.frames.append(now - self.updated_at)
        for read_id in self.pending:
            self.on_screen.setdefault(read_id, now)
        self.pending.clear()

    async def _timed(self, name: str, body: Callable[[], Awaitable[None]]) -> None:
        started = time.monotonic()
        await body()
        self.timings[name].append(time.monotonic() - started)

    async def _refresh_crossings(self) -> None:
        await self._timed("crossings", super()._refresh_crossings)

    async def _refresh_standings(self) -> None:
        await self._timed("standings", super()._refresh_standings)

    async def _refresh_header(self) -> None:
        await self._timed("header", super()._refresh_header)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * (len(ordered) - 1))))]


def ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    return (
        f"p50 {statistics.median(values) * 1000:7.1f} ms  p99 {pct(values, 0.99) * 1000:7.1f} ms"
        f"  max {max(values) * 1000:7.1f} ms  (n={len(values)})"
    )


async def run_writer(
    url: str, sid: int, runners: int, rate: float, seconds: float, phase: int
) -> list[tuple[int, float]]:
    """The writer in its own process (as the listener would be); its commits and times."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--writer",
        f"{sid},{runners},{rate},{seconds},{phase}",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "P88_BENCH_URL": url},
    )
    output, _ = await proc.communicate()
    return [(int(i), float(t)) for i, t in json.loads(output)]


async def measure(url: str, sid: int, runners: int, rates: list[float], seconds: float) -> None:
    app = MeasuredApp(url, session=str(sid))
    results: dict[float, list[float]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.loaded.is_set() and app.query_one("#crossings-table").row_count):
            await pilot.pause(0.05)
        await pilot.pause(1.0)
        phase = 0
        for rate in rates:
            for tab in ("crossings", "standings"):
                app.action_show_tab(tab)
                await pilot.pause(1.5)
                for timing in app.timings.values():
                    timing.clear()
                app.frames.clear()
                phase += 1
                committed = await run_writer(url, sid, runners, rate, seconds, phase)
                await pilot.pause(1.0)
                print(f"\n{rate:g} reads/s for {seconds:g} s, {tab} tab on screen:")
                if tab == "crossings":
                    lat = [app.on_screen[i] - t for i, t in committed if i in app.on_screen]
                    missing = sum(1 for i, _ in committed if i not in app.on_screen)
                    results[rate] = lat
                    print(f"  {len(committed)} committed, {missing} never shown")
                    print(f"  commit -> on screen   {ms(lat)}")
                    print(f"  table update -> frame {ms(app.frames)}")
                for name, values in app.timings.items():
                    if name != ("standings" if tab == "crossings" else "crossings"):
                        print(f"  one {name:9} refresh {ms(values)}")
        app.action_show_tab("standings")
        for point in ("FINISH", "START"):  # START: every runner, the largest table
            app.query_one("#view").value = f"point:{point}"
            await pilot.pause(1.5)
            whole = []
            for _ in range(5):
                started = time.monotonic()
                await LeaderboardApp._refresh_standings(app)
                whole.append(time.monotonic() - started)
            rows = app.query_one("#standings-table").row_count
            print(f"standings at {point} ({rows:,} runners): one refresh {ms(whole)}")
    if len(rates) >= 2:
        lo, hi = results[rates[0]], results[rates[-1]]
        if lo and hi:
            print(
                f"\nratio {rates[-1]:g}/s vs {rates[0]:g}/s: p50 "
                f"{statistics.median(hi) / statistics.median(lo):.2f}x, p99 "
                f"{pct(hi, 0.99) / pct(lo, 0.99):.2f}x; p99 at {rates[-1]:g}/s is "
                f"{pct(hi, 0.99) / 0.250:.2f}x the 250 ms budget"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runners", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rates", default="20,200")
    parser.add_argument("--writer", help=argparse.SUPPRESS)  # the writer process
    args = parser.parse_args()
    if args.writer:
        sid, runners, rate, seconds, phase = args.writer.split(",")
        url = os.environ["P88_BENCH_URL"]
        writer(url, int(sid), int(runners), float(rate), float(seconds), int(phase))
        return
    rates = [float(r) for r in args.rates.split(",")]
    server = database_url(config.load())
    with connect(server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DB}")
    url = with_database(server, DB)
    try:
        sid = prepare(url, args.runners)
        asyncio.run(measure(url, sid, args.runners, rates, args.seconds))
    finally:
        with connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
