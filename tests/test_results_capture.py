"""Scoring the real ChronoTrack capture: every tag once, every read accounted for."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from p88.store.results import PointRule, score_race

DAY = date(2024, 12, 14)


def load_capture(
    conn: psycopg.Connection[Any], path: Path, session: int
) -> list[tuple[str, datetime]]:
    """COPY the capture's reads into timing_reads (as the listener would); returns (tag, time)."""
    reads = []
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY timing_reads (session_id, sequence_number, location_name, tag_code, read_time, "
            "read_date, read_timestamp, lap_count, reader_id, gator_number) FROM STDIN"
        ) as copy,
    ):
        for line in path.read_text().splitlines():
            _, seq, loc, tag, clock, lap, reader, gator = line.strip().split("~")
            ts = datetime.combine(DAY, datetime.strptime(clock, "%H:%M:%S.%f").time())
            copy.write_row(
                (session, int(seq), loc, tag, ts.time(), DAY, ts, int(lap), reader, int(gator))
            )
            reads.append((tag, ts))
    return reads


def test_real_capture_scores_each_tag_once(
    conn: psycopg.Connection[Any], captures_dir: Path
) -> None:
    partner = conn.execute(
        "INSERT INTO timing_partners (name, code) VALUES ('Capture Timing', 'cap') RETURNING id"
    ).fetchone()[0]  # type: ignore[index]
    event = conn.execute(
        "INSERT INTO ct_events (partner_id, name, event_date) VALUES (%s, 'December 5K', %s) "
        "RETURNING id",
        (partner, DAY),
    ).fetchone()[0]  # type: ignore[index]
    race = conn.execute(
        "INSERT INTO ct_races (partner_id, event_id, name, distance_m, start_time) "
        "VALUES (%s, %s, '5K', 5000, %s) RETURNING id",
        (partner, event, datetime(2024, 12, 14, 10, 45)),
    ).fetchone()[0]  # type: ignore[index]
    session = conn.execute(
        "INSERT INTO timing_sessions (session_name, partner_id) VALUES (%s, %s) RETURNING id",
        ("capture", partner),
    ).fetchone()[0]  # type: ignore[index]
    reads = load_capture(conn, captures_dir / "mini11992-2024-12-14.ct33", session)
    tags = sorted({t for t, _ in reads})
    assert len(reads) == 8859 and len(tags) == 3376
    # every tag but ten is a registered runner: the ten are reads of tags nobody wears
    strangers = set(tags[:10])
    conn.execute(
        "INSERT INTO ct_participants (id, first_name, last_name, sex) "
        "SELECT g, 'Runner', 'No' || g, CASE WHEN g %% 2 = 0 THEN 'F' ELSE 'M' END "
        "FROM generate_series(1, %s) g",
        (len(tags) - 10,),
    )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib, age) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (partner, event, race, i + 1, tag, 20 + i % 50)
                for i, tag in enumerate(t for t in tags if t not in strangers)
            ],
        )

    # one finish mat; the capture's one location is inferred as the finish
    summary = score_race(conn, race, session)
    assert summary.points == [PointRule("MINI11992", "finish", distance_m=5000)]
    assert summary.reads_scored == 8859
    assert sum(summary.verdicts.values()) == 8859  # every read has a verdict
    stranger_reads = sum(1 for t, _ in reads if t in strangers)
    assert summary.verdicts["unknown_tag"] == stranger_reads
    assert summary.verdicts["used"] == len(tags) - 10  # each runner's crossing counted once
    assert summary.finished == len(tags) - 10

    # the counted crossing is each tag's first read; every other read of it is later
    first = {}
    for tag, ts in sorted(reads, key=lambda r: r[1]):
        first.setdefault(tag, ts)
    rows = conn.execute(
        "SELECT bib, finish_time, chip_time FROM ct_results WHERE race_id = %s", (race,)
    ).fetchall()
    assert all(finish == first[bib] for bib, finish, _ in rows)
    assert all(chip == finish - datetime(2024, 12, 14, 10, 45) for _, finish, chip in rows)
    # reads within the dead time of the counted one are the same crossing, the rest later
    bad = conn.execute(
        """
        SELECT count(*) FROM ct_read_verdicts v
        JOIN timing_reads r ON r.id = v.read_id
        JOIN ct_results res ON res.id = v.result_id
        WHERE v.race_id = %s AND (
            (v.verdict = 'same_crossing' AND r.read_timestamp - res.finish_time > %s) OR
            (v.verdict = 'later_crossing' AND r.read_timestamp - res.finish_time <= %s))
        """,
        (race, timedelta(seconds=10), timedelta(seconds=10)),
    ).fetchone()
    assert bad == (0,)
    places = conn.execute(
        "SELECT count(DISTINCT overall_place), min(overall_place), max(overall_place) "
        "FROM ct_results WHERE race_id = %s",
        (race,),
    ).fetchone()
    assert places is not None and places[1] == 1 and places[2] <= len(tags) - 10

    # a second run finds nothing new and changes nothing
    again = score_race(conn, race, session)
    assert (again.full, again.new_reads, again.results_changed) == (False, 0, 0)
