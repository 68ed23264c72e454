"""How fast ``p88 forward`` moves a laptop's reads to a hub, beside ``p88 replay``.

Run:  python bench/forward.py [--runners 5000] [--rounds 2] [--rate 200] [--seconds 10]

Two fresh databases on the configured server (``p88_bench_fwd_laptop`` and
``p88_bench_fwd_hub``) and a real ``p88 listen`` for the hub, as its own process. Each
round, in turn so machine noise hits both alike:

* ``replay``  — the simulated race replayed from memory at full speed into the hub
                (``p88 replay --speed max``): the baseline;
* ``forward`` — the same race, committed in the laptop's database, forwarded with
                ``--once`` into the hub.

Each is timed from the first connection until the hub's database holds every read, so
both figures are reads *stored* at the hub per second. Then the live delay: reads are
committed on the laptop at ``--rate`` reads/s for ``--seconds`` while the forwarder
follows (polling every 50 ms), and each read's delay is its commit on the hub minus its
commit on the laptop (``received_at`` on both; one machine, one clock).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from p88 import config
from p88.fileimport import import_reads
from p88.forward import ForwardConfig, Forwarder, Target
from p88.protocol.client import ClientOptions
from p88.protocol.codec import Read
from p88.protocol.replay import ReplayConfig, replay
from p88.sim import build_course, simulate
from p88.sim.files import SimulatedRace, to_message
from p88.sim.plan import new_connection_id
from p88.store.connect import connect, database_url
from p88.store.embedded import with_database
from p88.store.migrations import migrate
from p88.store.spool import SessionInfo

sys.path.insert(0, str(Path(__file__).parent))
from replay import count, free_port, wait_port  # noqa: E402

LAPTOP, HUB = "p88_bench_fwd_laptop", "p88_bench_fwd_hub"


def fresh(server: str, name: str) -> str:
    from psycopg import sql

    with connect(server, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(server, name)
    with connect(url, autocommit=True) as conn:
        migrate(conn)
    return url


def wait_count(url: str, want: int, started: float) -> float:
    while count(url) < want:
        if time.monotonic() - started > 600:
            raise SystemExit("the hub did not store everything within 600 s")
        time.sleep(0.02)
    return time.monotonic() - started


def timed_replay(hub: str, port: int, race: SimulatedRace, tag: str, reads: int) -> float:
    want = count(hub) + reads
    started = time.monotonic()
    options = ClientOptions(new_connection_id(), event_name=tag)
    asyncio.run(replay([(race.feeds("iso"), options)], ReplayConfig("127.0.0.1", port, None, 0.05)))
    return wait_count(hub, want, started)


def timed_forward(laptop: str, hub: str, port: int, session: str, reads: int) -> float:
    want = count(hub) + reads
    target = Target("127.0.0.1", port)
    started = time.monotonic()
    cfg = ForwardConfig(session, (target,), follow=False, linger_s=0.05)
    asyncio.run(Forwarder(laptop, cfg).run())
    return wait_count(hub, want, started)


def live_delay(
    laptop: str, hub: str, port: int, race: SimulatedRace, rate: int, secs: float
) -> list[float]:
    """Per-read delay (ms) from laptop commit to hub commit at ``rate`` reads/s."""
    day0 = race.course.waves[0].date()
    lines = [to_message(x, "iso", day0) for p in race.lines.values() for x in p]
    reads = [m for m in lines if isinstance(m, Read)][: int(rate * secs)]
    session = "live-delay"
    with connect(laptop) as conn:
        import_reads(conn, SessionInfo(session), reads[:1])

    async def main() -> None:
        stop = asyncio.Event()
        cfg = ForwardConfig(session, (Target("127.0.0.1", port),), poll_s=1.0)
        task = asyncio.create_task(Forwarder(laptop, cfg).run(stop))
        step = 10
        with connect(laptop) as conn:
            t0 = time.monotonic()
            for i in range(1, len(reads), step):
                await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
                await asyncio.to_thread(
                    import_reads, conn, SessionInfo(session), reads[i : i + step]
                )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with connect(hub, autocommit=True) as h:
                row = h.execute(
                    "SELECT count(*) FROM timing_reads r JOIN timing_sessions s"
                    " ON s.id = r.session_id WHERE s.session_name = %s",
                    (session,),
                ).fetchone()
            if row and row[0] >= len(reads):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task

    asyncio.run(main())
    query = (
        "SELECT tag_code, read_timestamp, gator_number, received_at FROM timing_reads r"
        " JOIN timing_sessions s ON s.id = r.session_id WHERE s.session_name = %s"
    )
    with connect(laptop, autocommit=True) as lc, connect(hub, autocommit=True) as hc:
        sent = {(r[0], r[1], r[2]): r[3] for r in lc.execute(query, (session,))}
        got = hc.execute(query, (session,)).fetchall()
    return [
        (r[3] - sent[(r[0], r[1], r[2])]).total_seconds() * 1000
        for r in got
        if (r[0], r[1], r[2]) in sent
    ][1:]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runners", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    server = database_url(config.load())
    laptop, hub = fresh(server, LAPTOP), fresh(server, HUB)
    race = simulate(build_course("START,5K,FINISH", "10K", "3"), args.runners, seed=5)
    day0 = race.course.waves[0].date()
    lines = [to_message(x, "iso", day0) for p in race.lines.values() for x in p]
    reads = sum(isinstance(m, Read) for m in lines)
    print(f"race: {args.runners:,} runners, {len(lines):,} lines ({reads:,} reads)")

    spool = Path(tempfile.mkdtemp(prefix="p88-bench-fwd-spool-"))
    port = free_port()
    listen = subprocess.Popen(
        [sys.executable, "-m", "p88", "listen", "--port", str(port), "--spool-dir", str(spool)],
        env={**os.environ, "P88_DATABASE_URL": hub}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    times: dict[str, list[float]] = {"replay": [], "forward": []}
    try:
        wait_port(port, listen)
        for r in range(args.rounds):
            with connect(laptop) as conn:
                import_reads(conn, SessionInfo(f"fwd-{r}"), lines)
            times["replay"].append(timed_replay(hub, port, race, f"replay-{r}", reads))
            times["forward"].append(timed_forward(laptop, hub, port, f"fwd-{r}", reads))
        delays = live_delay(laptop, hub, port, race, args.rate, args.seconds)
    finally:
        listen.terminate()
        listen.wait(30)

    rate = {case: reads / statistics.median(t) for case, t in times.items()}
    print(f"{'case':<8} {'median s':>9} {'reads/s':>10}   (rounds: {args.rounds})")
    for case, t in times.items():
        print(f"{case:<8} {statistics.median(t):>9.2f} {rate[case]:>10,.0f}")
    print(
        f"ratio forward / replay (same run): {rate['forward'] / rate['replay']:.2f}  (goal >= 0.8)"
    )
    print(
        f"live, {args.rate} reads/s for {args.seconds:.0f} s: laptop commit -> hub commit "
        f"p50 {pct(delays, 0.5):.0f} ms, p99 {pct(delays, 0.99):.0f} ms ({len(delays)} reads)"
    )


if __name__ == "__main__":
    main()
