"""Sync benchmark: RunSignUp pull and push against the fake server, beside a CSV import.

    python bench/sync.py [--runners 20000] [--per-page 1000] [--batch 1000]

Pull: RUNNERS participants from the fake RunSignUp (tests/fake_runsignup.py, uvicorn on
127.0.0.1) into a race, then an incremental pull of 50 changes. Push: the same runners'
results (a finish and one split each) into a result set, then 100 changed rows. The
baseline, in the same run and database: the same participants, then the same results,
through ``p88 results import`` (``import_file``) from CSV files. Prints rows/s and the
ratio sync / import. Uses P88_DATABASE_URL or the embedded server, in a scratch database
that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import csv
import secrets
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from p88 import config
from p88.store.connect import connect, database_url
from p88.store.embedded import with_database
from p88.store.migrations import migrate
from p88.store.results import ensure_race, import_file
from p88.sync import Credentials, RunSignUp, pull_runsignup, push_runsignup

if TYPE_CHECKING:
    from tests.fake_runsignup import FakeRunSignUp

DB = "p88_bench_sync"
DAY = date(2026, 6, 7)
EVENT = 1


def race(conn: psycopg.Connection[Any], name: str) -> int:
    return ensure_race(conn, partner="Bench", event="Bench 10K", event_date=DAY, race=name,
                       distance_m=10_000)  # fmt: skip


def results(conn: psycopg.Connection[Any], race_id: int) -> None:
    """A finish for everyone and a split at 5K, as scoring would leave them."""
    partner, event = conn.execute(
        "SELECT partner_id, event_id FROM ct_races WHERE id = %s", (race_id,)
    ).fetchone()  # type: ignore[misc]
    conn.execute(
        "INSERT INTO ct_race_points (race_id, event_id, partner_id, location_name, kind, seq, "
        "distance_m) VALUES (%s, %s, %s, '5K', 'split', 1, 5000)",
        (race_id, event, partner),
    )
    conn.execute(
        "UPDATE ct_results SET status = 'finished', chip_time = interval '35 minutes' + "
        "id * interval '0.3 seconds', gun_time = interval '35 minutes 20 seconds' + id * "
        "interval '0.3 seconds' WHERE race_id = %s",
        (race_id,),
    )
    conn.execute(
        "INSERT INTO ct_splits (result_id, race_id, partner_id, point, distance_m, "
        "crossing_time, elapsed) SELECT id, race_id, partner_id, '5K', 5000, "
        "timestamp '2026-06-07 08:20:00', chip_time / 2 FROM ct_results WHERE race_id = %s",
        (race_id,),
    )


def write_csvs(fake: FakeRunSignUp, folder: Path) -> tuple[Path, Path]:
    """The fake's participants as a participants CSV, and a results CSV for the same bibs."""
    people, times = folder / "participants.csv", folder / "results.csv"
    with people.open("w", newline="") as fp, times.open("w", newline="") as ft:
        p_out, t_out = csv.writer(fp), csv.writer(ft)
        p_out.writerow(["Registration ID", "Bib", "First Name", "Last Name", "Gender", "DOB",
                        "City", "State", "Country", "Email", "Chip"])  # fmt: skip
        t_out.writerow(["Bib", "First Name", "Last Name", "Chip Time", "Clock Time"])
        for i, p in enumerate(fake.participants.values()):
            u = p["user"]
            p_out.writerow([p["registration_id"], p["bib_num"], u["first_name"], u["last_name"],
                            u["gender"], u["dob"], "Hartford", "CT", "US", u["email"],
                            p["chip_num"]])  # fmt: skip
            chip = timedelta(minutes=35, seconds=0.3 * i)
            t_out.writerow([p["bib_num"], u["first_name"], u["last_name"], str(chip)[:10],
                            str(chip + timedelta(seconds=20))[:10]])  # fmt: skip
    return people, times


def bench(url: str, runners: int, per_page: int, batch: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake lives in tests/
    from tests.fake_runsignup import FakeRunSignUp, serving

    fake = FakeRunSignUp(secrets.token_hex(16), secrets.token_hex(24), 99, (EVENT,))
    for _ in range(0, runners, 10):
        fake.tick()
        fake.add(EVENT, min(10, runners - len(fake.participants)), seed=len(fake.participants),
                 bib_from=len(fake.participants) + 1)  # fmt: skip
    with (
        serving(fake) as base,
        RunSignUp(base, Credentials(fake.key, fake.secret)) as rsu,
        connect(url, autocommit=True) as conn,
        tempfile.TemporaryDirectory() as tmp,
    ):
        synced, imported = race(conn, "10K sync"), race(conn, "10K import")
        t = time.perf_counter()
        s = pull_runsignup(conn, rsu, race_id=synced, remote_race=99, remote_event=EVENT,
                           per_page=per_page)  # fmt: skip
        pull_s = time.perf_counter() - t
        ids = list(fake.participants)
        for r in ids[:50]:
            fake.modify(r, chip_num=f"N{r}")
        t = time.perf_counter()
        inc = pull_runsignup(conn, rsu, race_id=synced)
        inc_s = time.perf_counter() - t
        people, times = write_csvs(fake, Path(tmp))
        t = time.perf_counter()
        base_p = import_file(conn, people, race_id=imported)
        import_p_s = time.perf_counter() - t
        print(f"pull {s.new} participants ({s.pages} pages of {per_page}): {pull_s:.2f} s, "
              f"{s.new / pull_s:,.0f} rows/s")  # fmt: skip
        print(f"incremental pull, {inc.changed} changed: {inc_s * 1000:.0f} ms")
        print(f"baseline, p88 results import of the same {base_p.rows} participants (CSV): "
              f"{import_p_s:.2f} s, {base_p.rows / import_p_s:,.0f} rows/s")  # fmt: skip
        print(f"RATIO pull / CSV import time: {pull_s / import_p_s:.2f}x")

        results(conn, synced)
        t = time.perf_counter()
        p = push_runsignup(conn, rsu, race_id=synced, batch=batch)
        push_s = time.perf_counter() - t
        conn.execute(
            "UPDATE ct_results SET chip_time = chip_time + interval '1 second' WHERE id IN "
            "(SELECT id FROM ct_results WHERE race_id = %s ORDER BY id LIMIT 100)",
            (synced,),
        )
        t = time.perf_counter()
        p2 = push_runsignup(conn, rsu, race_id=synced, batch=batch)
        push2_s = time.perf_counter() - t
        t = time.perf_counter()
        base_r = import_file(conn, times, race_id=imported)
        import_r_s = time.perf_counter() - t
        print(f"push {p.sent} results ({p.batches} requests of {batch}): {push_s:.2f} s, "
              f"{p.sent / push_s:,.0f} rows/s")  # fmt: skip
        print(f"push of {p2.sent} changed rows: {push2_s * 1000:.0f} ms")
        print(f"baseline, p88 results import of the same {base_r.rows} results (CSV): "
              f"{import_r_s:.2f} s, {base_r.rows / import_r_s:,.0f} rows/s")  # fmt: skip
        print(f"RATIO push / CSV import time: {push_s / import_r_s:.2f}x")
        print(f"fake server: {fake.pages_served} pages served, {fake.rows_received} rows received")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runners", type=int, default=20_000)
    parser.add_argument("--per-page", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    server = database_url(config.load())
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB))
    with connect(server, autocommit=True) as admin:
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    url = with_database(server, DB)
    try:
        with connect(url, autocommit=True) as conn:
            migrate(conn)
        bench(url, args.runners, args.per_page, args.batch)
    finally:
        with connect(server, autocommit=True) as admin:
            admin.execute(drop)


if __name__ == "__main__":
    main()
