"""The race-day recipe in docs/race-day.md, run exactly as written (issue 15).

Every ``$ p88 ...`` line of the page's first console block runs as its own process, in
order, in a scratch directory, against the test's database: the listener on a real
loopback port (the page's default port swapped for a free one), the live scorer beside
it, and `p88 replay` playing the simulated race into the listener over CTP01. The final
results are then checked against times and places worked out from the capture files
here, independently of p88's scoring code, and the live scorer's finisher count never
went down.
"""

from __future__ import annotations

import csv
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
DEAD_TIME = timedelta(seconds=10)


def recipe() -> list[str]:
    """The ``$ ...`` lines of the first console block of docs/race-day.md."""
    text = (ROOT / "docs" / "race-day.md").read_text()
    block = text.split("```console\n", 1)[1].split("```", 1)[0]
    return [line[2:] for line in block.splitlines() if line.startswith("$ ")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"the listener never listened: {log.read_text()}")


def expected(folder: Path, entrants: set[str]) -> dict[str, tuple[Any, ...]]:
    """bib -> (status, chip, gun, place) from the capture files alone: the trade's rules
    (start = last start crossing before the first later read; finish = first read at the
    finish; crossings are 10 s of reads), places by gun time, DNF/DNS at the final."""
    reads: dict[str, dict[str, list[datetime]]] = {}
    gun = None
    for point in ("START", "5K", "FINISH"):
        for line in (folder / f"{point}.ct33").read_text().splitlines():
            fields = line.split("~")
            when = datetime.combine(
                datetime(2026, 6, 7), datetime.strptime(fields[4], "%H:%M:%S.%f").time()
            )
            if fields[3] == "guntime":
                gun = when
            else:
                reads.setdefault(fields[3], {}).setdefault(point, []).append(when)
    assert gun is not None
    out: dict[str, tuple[Any, ...]] = {}
    for bib in entrants:
        got = {p: sorted(t for t in ts if t >= gun) for p, ts in reads.get(bib, {}).items()}
        later = min((t for p in ("5K", "FINISH") for t in got.get(p, [])), default=None)
        clusters: list[list[datetime]] = []
        for t in got.get("START", []):
            if clusters and t - clusters[-1][0] <= DEAD_TIME:
                clusters[-1].append(t)
            else:
                clusters.append([t])
        before = [c for c in clusters if later is None or c[0] < later] or clusters[:1]
        start = before[-1][-1] if before else None
        finish = got["FINISH"][0] if got.get("FINISH") else None
        if finish is not None:
            chip = finish - (start or gun)
            out[bib] = ("finished", chip, finish - gun)
        elif any(got.values()):
            out[bib] = ("DNF", None, None)
        else:
            out[bib] = ("DNS", None, None)
    times = sorted(v[2] for v in out.values() if v[0] == "finished")
    return {
        bib: (*v, times.index(v[2]) + 1 if v[0] == "finished" else None) for bib, v in out.items()
    }


def test_the_race_day_recipe_runs_as_written(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "P88_DATABASE_URL": db_url, "P88_CONFIG": str(tmp_path / "p88.toml"),
           "P88_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT / "src")}  # fmt: skip
    background: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    commands = recipe()
    assert commands[0] == "p88 db migrate" and commands[-1].startswith("p88 results standings")
    for number, command in enumerate(commands):
        args = shlex.split(command.removesuffix("&"))
        assert args[0] == "p88"
        if args[1] == "listen":
            args += ["--port", str(port)]
        elif args[1] == "replay":
            args += ["--to", f"127.0.0.1:{port}"]
        if args[1:3] == ["results", "check"]:
            _stop_live_scorer(db_url, background)
        log = tmp_path / f"{number:02d}-{args[1]}.log"
        with log.open("wb") as fh:
            if command.endswith("&"):
                proc = subprocess.Popen(
                    [sys.executable, "-m", "p88", *args[1:]], cwd=tmp_path, env=env,
                    stdout=fh, stderr=subprocess.STDOUT,
                )  # fmt: skip
                background[args[1] + " " + args[2]] = (proc, log)
                if args[1] == "listen":
                    wait_for_port(port, proc, log)
                continue
            done = subprocess.run(
                [sys.executable, "-m", "p88", *args[1:]], cwd=tmp_path, env=env, stdout=fh,
                stderr=subprocess.STDOUT, timeout=300,
            )  # fmt: skip
        # a check that finds something exits 4 (a simulated race has faults on purpose)
        allowed = (0, 4) if args[1:3] == ["results", "check"] else (0,)
        assert done.returncode in allowed, f"{command}\n{log.read_text()}"
    listener, listen_log = background["listen --session"]
    listener.send_signal(signal.SIGINT)
    assert listener.wait(30) == 0, listen_log.read_text()

    race = tmp_path / "race"
    with (race / "participants.csv").open() as fh:
        entrants = {row["Chip"] for row in csv.DictReader(fh)}
    want = expected(race, entrants)
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT bib, status, chip_time, gun_time, overall_place FROM ct_results"
            " WHERE race_id = 1"
        ).fetchall()
    got = {r[0]: tuple(r[1:]) for r in rows}
    assert got == want
    finished = sum(1 for v in want.values() if v[0] == "finished")
    assert finished > 200
    top = (tmp_path / f"{len(commands) - 1:02d}-results.log").read_text()
    first = min(want, key=lambda b: want[b][3] or 10**9)
    assert re.search(rf"│ 1\s+│ {first}\s+│", top), top


def _stop_live_scorer(
    db_url: str, background: dict[str, tuple[subprocess.Popen[bytes], Path]]
) -> None:
    """Ctrl-C the live scorer once it has scored every committed read; check that it
    stopped cleanly and never had to rescore the race after its first step."""
    proc, log = background["results follow"]
    deadline = time.monotonic() + 60
    with psycopg.connect(db_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            caught_up = conn.execute(
                "SELECT (SELECT read_upto FROM ct_live_scoring WHERE race_id = 1)"
                " >= (SELECT max(id) FROM timing_reads)"
            ).fetchone()
            if caught_up and caught_up[0]:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the live scorer never caught up:\n{log.read_text()}")
    proc.send_signal(signal.SIGINT)
    code = proc.wait(30)
    assert code == 0, f"exit {code}\n{log.read_text()}"
    steps = re.findall(r"race 1: (full rescore|\d+ new read)", log.read_text())
    assert steps and "full rescore" not in steps[1:], log.read_text()
