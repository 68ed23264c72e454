"""Runner display benchmark: a read's commit to its card in the page's DOM, beside SSE.

    python bench/display.py [--seconds 10] [--rates 20,200] [--keep]

In one run, on one server (``p88 serve`` in its own process, a scratch database
``p88_bench_display``): a 10K with enough runners, the runner-card page (/display) open
in headless Chromium, and two plain SSE clients in this process: one on the displays'
crossing stream (/api/display/stream), one on the raw reads stream (/api/timing/stream,
the baseline: no crossing rule). Finish reads are committed one per transaction through
the listener's write path (``write_batch``: the commit and its NOTIFY) at each rate; every
read is a runner's first finish crossing, so every read should become one card.

Per rate it prints p50/p99 of commit -> raw read event, commit -> crossing event (plain
client), commit -> card element in the page's DOM (the page's own clock, ``Date.now()``
when it built the card; the card may then wait its turn on screen, which is the queue's
design, not latency), and what the page adds over the plain crossing client.
Goal: page p99 <= 250 ms, and the page adds <= 50 ms over SSE.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.serve import free_port, pct, start_server  # noqa: E402
from tests.browser import DevTools  # noqa: E402
from tests.display_race import Runner, Writer, make_race  # noqa: E402

from p88 import config  # noqa: E402
from p88.store import database_url, migrate, with_database  # noqa: E402

DB = "p88_bench_display"


class SseClient(threading.Thread):
    """A plain SSE client: the time each event id arrives (epoch seconds)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.seen: dict[int, float] = {}
        self.ready = threading.Event()
        self.stop = False

    def run(self) -> None:
        try:
            self._read()
        except httpx.HTTPError:
            if not self.stop:  # the server going away at the end is expected
                raise

    def _read(self) -> None:
        with httpx.stream("GET", self.url, timeout=None) as response:
            pending: int | None = None
            for line in response.iter_lines():
                now = time.time()
                self.ready.set()
                if line.startswith("id: "):
                    pending = int(line[4:])
                elif line.startswith("data: ") and pending is not None:
                    self.seen.setdefault(pending, now)
                    pending = None
                if self.stop:
                    return


def prepare(admin: str, runners: int) -> tuple[str, int]:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    url = with_database(admin, DB)
    field = [
        Runner(str(n), f"First{n}", f"Last{n}", "FM"[n % 2], 20 + n % 50, f"Town{n % 97}",
               message="Go go go!" if n % 4 == 0 else "", vip=n % 50 == 0)
        for n in range(1, runners + 1)
    ]  # fmt: skip
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        race = make_race(conn, Path(tempfile.mkdtemp(prefix="p88-bench-display-")), field)
    return url, race.session_id


def ms(values: list[float], q: float) -> str:
    return f"{pct(values, q) * 1000:7.1f}" if values else "    n/a"


def measure(
    writer: Writer, chrome: DevTools, clients: dict[str, SseClient], rate: int, seconds: float,
    first_bib: int, per_crossing: int,
) -> dict[str, list[float]]:  # fmt: skip
    """Commit ``rate`` reads a second; each runner is read ``per_crossing`` times, 0.2 s
    apart (antennas), so only a runner's first read times their crossing and makes a card."""
    count = int(rate * seconds)
    committed: dict[int, float] = {}
    every: set[int] = set()
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        runner = first_bib + i // per_crossing
        secs = 3000 + runner * 0.01 + (i % per_crossing) * 0.2
        done = writer.commit([("finish", str(runner), secs)])
        every.add(writer.last_id)
        if i % per_crossing == 0:
            committed[writer.last_id] = done
    time.sleep(3.0)  # stragglers
    page: dict[str, float] = chrome.evaluate("window.p88Display.renderedAt") or {}
    out: dict[str, list[float]] = {"reads": [], "crossings": [], "page": [], "added": []}
    for read_id, at in committed.items():
        if read_id in clients["reads"].seen:
            out["reads"].append(clients["reads"].seen[read_id] - at)
        sse = clients["crossings"].seen.get(read_id)
        if sse is not None:
            out["crossings"].append(sse - at)
        shown = page.get(str(read_id))
        if shown is not None:
            out["page"].append(shown / 1000 - at)
            if sse is not None:
                out["added"].append(shown / 1000 - sse)
    out["missing"] = [float(len(committed) - len(out["page"]))]
    out["cards"] = [float(len(committed))]
    extra = [k for k in page if int(k) in every and int(k) not in committed]
    out["extra"] = [float(len(extra))]  # a card for a read that is not a crossing: a bug
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per rate")
    parser.add_argument("--rates", default="20,200", help="reads per second, comma-separated")
    parser.add_argument(
        "--reads-per-crossing", type=int, default=1, help="antenna reads of each runner"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    runners = sum(int(r * args.seconds) for r in rates) + 10
    admin = database_url(config.load())
    url, session_id = prepare(admin, runners)
    port = free_port()
    server = start_server(url, port)
    base = f"http://127.0.0.1:{port}"
    profile = Path(tempfile.mkdtemp(prefix="p88-bench-chromium-"))
    chrome = DevTools(f"{base}/display?hold=1&min_hold=0.05&max_cards=8", profile)
    writer = Writer(url)
    clients = {
        "reads": SseClient(f"{base}/api/timing/stream?session_id={session_id}"),
        "crossings": SseClient(
            f"{base}/api/display/stream?kind=crossing&session_id={session_id}&location=finish"
        ),
    }
    results: dict[int, dict[str, list[float]]] = {}
    try:
        chrome.attach_to_page()
        state = "document.getElementById('status').dataset.state"
        deadline = time.monotonic() + 30
        while chrome.evaluate(state) != "live":
            if time.monotonic() > deadline:
                raise SystemExit("the display page did not go live")
            time.sleep(0.1)
        for client in clients.values():
            client.start()
            client.ready.wait(10)
        time.sleep(0.5)
        first = 1
        for rate in rates:
            results[rate] = measure(
                writer, chrome, clients, rate, args.seconds, first, args.reads_per_crossing
            )
            first += int(rate * args.seconds)
    finally:
        for client in clients.values():
            client.stop = True
        chrome.close()
        writer.close()
        server.terminate()
        server.wait(10)
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB))
                )
    print(
        f"\n{runners:,} runners; one finish read per commit, {args.reads_per_crossing} read(s) "
        "per crossing; times in ms (commit -> ...)\n"
    )
    print(f"{'rate':>8} {'reads':>6}  {'raw read SSE':>17}  {'crossing SSE':>17}  "
          f"{'card in DOM':>17}  {'page - SSE':>17}  cards missing extra")  # fmt: skip
    print(f"{'':>8} {'':>6}  {'p50':>8} {'p99':>8}  {'p50':>8} {'p99':>8}  {'p50':>8} {'p99':>8}"
          f"  {'p50':>8} {'p99':>8}")  # fmt: skip
    for rate, r in results.items():
        print(
            f"{rate:>6}/s {int(rate * args.seconds):>6}  "
            f"{ms(r['reads'], .5)}  {ms(r['reads'], .99)}"
            f"  {ms(r['crossings'], .5)}  {ms(r['crossings'], .99)}  {ms(r['page'], .5)}  "
            f"{ms(r['page'], .99)}  {ms(r['added'], .5)}  {ms(r['added'], .99)}  "
            f"{int(r['cards'][0]):>5} {int(r['missing'][0]):>7} {int(r['extra'][0]):>5}"
        )  # fmt: skip
    worst = max(pct(r["page"], 0.99) for r in results.values() if r["page"])
    added = max(pct(r["added"], 0.99) for r in results.values() if r["added"])
    ratio = worst / max(1e-9, max(pct(r["reads"], 0.99) for r in results.values()))
    print(
        f"\ngoal: card p99 <= 250 ms: {worst * 1000:.1f} ms "
        f"({'met' if worst <= 0.25 else 'NOT met'});"
        f" page adds <= 50 ms over SSE: {added * 1000:.1f} ms "
        f"({'met' if added <= 0.05 else 'NOT met'}); card p99 / raw read SSE p99 = {ratio:.2f}x"
    )


if __name__ == "__main__":
    main()
