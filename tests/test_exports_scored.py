"""Exports of a race scored from reads (``score_race``), not built by hand: every format
agrees with the stored results — places, times, split columns in course order — and the
site lists every runner."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import psycopg

from p88.exports import export_race
from p88.store.results import PointRule, ScoreOptions, score_race
from tests.test_results_scoring import add_reads, make_race

POINTS = [
    PointRule("START", "start", distance_m=0),
    PointRule("MID", "split", seq=2, distance_m=6000),
    PointRule("EARLY", "split", seq=1, distance_m=3000),
    PointRule("FINISH", "finish", distance_m=10000),
]


def scored_race(conn: psycopg.Connection[Any]) -> int:
    entries = [(str(b), "MF"[b % 2], 20 + b * 3, None) for b in range(1, 13)]
    race, session = make_race(conn, entries)
    reads = []
    for b in range(1, 13):
        start = 5 + b
        reads.append(("START", str(b), f"08:00:{start:02d}.00"))
        reads.append(("EARLY", str(b), f"08:{12 + b % 5:02d}:{start:02d}.25"))
        reads.append(("MID", str(b), f"08:{25 + b % 7:02d}:{start:02d}.50"))
        if b != 12:  # 12 drops out after MID
            reads.append(("FINISH", str(b), f"08:{40 + b:02d}:{start:02d}.75"))
    add_reads(conn, session, reads)
    score_race(conn, race, session, ScoreOptions(points=POINTS, final=True))
    return race


def test_every_format_agrees_with_the_stored_results(
    conn: psycopg.Connection[Any], tmp_path: Path
) -> None:
    race = scored_race(conn)
    stored = {
        bib: (place, status)
        for bib, place, status in conn.execute(
            "SELECT bib, overall_place, status FROM ct_results WHERE race_id = %s", (race,)
        ).fetchall()
    }
    finishers = sorted((p, b) for b, (p, s) in stored.items() if s == "finished")
    assert len(finishers) == 11 and stored["12"][1] == "DNF"
    for fmt in ("csv", "runsignup", "athlinks", "ultrasignup", "baa", "json", "site"):
        export_race(conn, race, fmt, tmp_path / fmt)
    athlinks = list(csv.reader((tmp_path / "athlinks").open(newline="")))
    assert athlinks[0][8:] == ["EARLY", "MID"]  # splits in course order, finish not repeated
    assert [(int(r[4]), r[6]) for r in athlinks[1:]] == finishers
    baa = list(csv.reader((tmp_path / "baa").open(newline="")))
    assert baa[3][:3] == ["Last Name", "First Name", "City"] and len(baa) == 4 + 11
    ultra = list(csv.reader((tmp_path / "ultrasignup").open(newline="")))
    assert {r[7]: r[10] for r in ultra[1:]}["12"] == "2"  # DNF
    data = json.loads((tmp_path / "json").read_text())
    assert {r["bib"]: r["place"] for r in data["results"]} == {b: p for b, (p, _) in stored.items()}
    dnf = next(r for r in data["results"] if r["bib"] == "12")
    assert [s["point"] for s in dnf["splits"]] == ["EARLY", "MID"]
    page = (tmp_path / "site" / f"race-{race}.html").read_text()
    assert all(f'data-bib="{b}"' in page for b in stored)
