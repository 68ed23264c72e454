"""Leaderboard benchmark: commit-to-screen latency and refresh times with 5,000 runners.

    python bench/tui.py [--runners 5000] [--seconds 15] [--rates 20,200]

A race of N runners (results tables filled, so names are joined; its points saved with
distances, so crossings have a pace and the announcer projects) with ~3 reads per
crossing already stored at START and 10K for everyone, HALF for 60 %, FINISH for 30 %.
The leaderboard runs headless in this process, its standings (and runner card) set to
FINISH. For each rate in turn and each tab in turn (crossings, runner card, raw reads,
standings) a writer *process* commits one FINISH read per transaction (with its NOTIFY,
as the listener does) and records when each commit returned; about 70 % of them are a
runner's first finish read, i.e. a new crossing. The app records when each read was first
part of a frame it rendered on the tab on screen (``App._display``, plus turning that
frame into terminal bytes): for the crossings tab the read that timed a new crossing, for
the card the crossing it shows (the newest: at 200/s several arrive per refresh, and only
the last is drawn), for the reads tab every read. Printed: commit-to-screen p50/p99/max
per rate and tab, how long one refresh takes (crossings, reads, standings, announcer,
header), and the card's and raw reads' latency as ratios to the crossings tab's, measured
in the same run. Uses P88_DATABASE_URL or the embedded server; makes and drops database
p88_bench_tui.
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
from textual.widgets import TabbedContent

from p88 import config, store
from p88.store import ReadsCommitted, connect, database_url, migrate, notify, with_database
from p88.tui import LeaderboardApp

DB = "p88_bench_tui"
GUN = datetime(2025, 10, 11, 8, 0, 0)
POINTS = ("START", "10K", "HALF", "FINISH")
MEASURED = ("crossings", "card", "reads")  # tabs whose commit -> screen is timed
PHASES = (*MEASURED, "standings")

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

RACE_POINTS = """
INSERT INTO ct_race_points (race_id, event_id, partner_id, location_name, kind, seq, distance_m)
SELECT r.id, r.event_id, r.partner_id, p.name, p.kind, p.seq, p.metres
FROM ct_races r, (VALUES ('START', 'start', 0, 0), ('10K', 'split', 1, 10000),
                         ('HALF', 'split', 2, 21097), ('FINISH', 'finish', 3, 42195))
     AS p(name, kind, seq, metres)
WHERE r.session_id = %(s)s
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
        conn.execute(RACE_POINTS, {"s": sid})
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
    """The real app, with stopwatches on its refreshes and on its frames.

    Each tab's "new on screen" are the read ids it shows for the first time: crossings
    (the read that timed each new crossing), the card (the crossing it shows), raw reads.
    A frame puts the pending ids of the tab on screen on screen; the others are dropped
    (a hidden tab's update is drawn when the tab is shown, which is not what we time)."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self.pending: dict[str, list[int]] = {tab: [] for tab in MEASURED}
        self.updated_at: dict[str, float] = dict.fromkeys(MEASURED, 0.0)
        self.on_screen: dict[str, dict[int, float]] = {tab: {} for tab in MEASURED}
        self.seen: set[int] = set()
        self.timings: dict[str, list[float]] = {
            "crossings": [],
            "reads": [],
            "standings": [],
            "announcer": [],
            "header": [],
        }
        self.frames: list[float] = []

    def _updated(self, tab: str, ids: list[int]) -> None:
        if ids and not self.pending[tab]:
            self.updated_at[tab] = time.monotonic()
        self.pending[tab].extend(ids)

    def show_crossings(self, rows: list[store.Crossing]) -> None:
        super().show_crossings(rows)
        new = [c.read_id for c in rows if c.read_id not in self.seen]
        self.seen.update(new)
        self._updated("crossings", new)

    def show_card(self, crossing: store.Crossing | None) -> None:
        super().show_card(crossing)
        if crossing is not None:
            self._updated("card", [crossing.read_id])

    def _display(self, screen: Any, renderable: Any) -> None:
        if renderable is not None and hasattr(renderable, "render_segments"):
            renderable.render_segments(self.console)  # the bytes a terminal would get
        super()._display(screen, renderable)
        now = time.monotonic()
        tab = self.query_one(TabbedContent).active
        for name, ids in self.pending.items():
            if name == tab and ids:
                self.frames.append(now - self.updated_at[name])
                for read_id in ids:
                    self.on_screen[name].setdefault(read_id, now)
            ids.clear()

    async def _timed(self, name: str, body: Callable[[], Awaitable[None]]) -> None:
        started = time.monotonic()
        await body()
        self.timings[name].append(time.monotonic() - started)

    async def _refresh_crossings(self) -> None:
        await self._timed("crossings", super()._refresh_crossings)

    async def _refresh_reads(self) -> None:
        before = self.reads_last_id
        await self._timed("reads", super()._refresh_reads)
        self._updated("reads", [r.id for r in self.reads if r.id > before])

    async def _refresh_standings(self) -> None:
        await self._timed("standings", super()._refresh_standings)

    async def _refresh_announcer(self) -> None:
        await self._timed("announcer", super()._refresh_announcer)

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
    results: dict[tuple[float, str], list[float]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.loaded.is_set() and app.query_one("#crossings-table").row_count):
            await pilot.pause(0.05)
        await pilot.pause(1.0)
        phase = 0
        for rate in rates:
            for tab in PHASES:
                app.action_show_tab(tab)
                await pilot.pause(1.5)
                for timing in app.timings.values():
                    timing.clear()
                app.frames.clear()
                phase += 1
                committed = await run_writer(url, sid, runners, rate, seconds, phase)
                await pilot.pause(1.0)
                print(f"\n{rate:g} reads/s for {seconds:g} s, {tab} tab on screen:")
                if tab in MEASURED:
                    shown = app.on_screen[tab]
                    lat = [shown[i] - t for i, t in committed if i in shown]
                    results[(rate, tab)] = lat
                    print(f"  {len(committed)} reads committed, {len(lat)} shown on this tab")
                    print(f"  commit -> on screen   {ms(lat)}")
                    print(f"  tab update -> frame   {ms(app.frames)}")
                for name, values in app.timings.items():
                    if values:
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
        app.action_show_tab("announcer")
        await pilot.pause(1.5)
        whole = []
        for _ in range(5):
            started = time.monotonic()
            await LeaderboardApp._refresh_announcer(app)
            whole.append(time.monotonic() - started)
        rows = app.query_one("#announcer-table").row_count
        print(f"announcer (coming up: {rows} of {runners:,} runners): one refresh {ms(whole)}")
    print("\ncommit -> on screen, same run (p50 / p99, ms; ratio to the crossings tab):")
    for rate in rates:
        base = results.get((rate, "crossings"))
        for tab in MEASURED:
            lat = results.get((rate, tab), [])
            if not lat:
                print(f"  {rate:>5g}/s {tab:9} n/a")
                continue
            p50, p99 = statistics.median(lat), pct(lat, 0.99)
            ratio = (
                f"  ({p50 / statistics.median(base):.2f}x, {p99 / pct(base, 0.99):.2f}x)"
                if base
                else ""
            )
            print(
                f"  {rate:>5g}/s {tab:9} {p50 * 1000:7.1f} / {p99 * 1000:7.1f}{ratio}"
                f"  p99 is {p99 / 0.250:.2f}x the 250 ms budget"
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
