"""What scoring writes besides results: a verdict per read, and splits per runner."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from p88.store.results import points as pts
from p88.store.results.crossings import Timing
from p88.store.results.entries import Entry
from p88.store.results.guns import runner_gun

if TYPE_CHECKING:
    import psycopg

Verdict = tuple[int, int | None, str, str, str, str]  # read, result, location, tag, verdict, why


def write_verdicts(
    conn: psycopg.Connection[Any],
    race_id: int,
    verdicts: list[Verdict],
    read_ids: list[int],
    full: bool,
) -> None:
    if full:
        conn.execute("DELETE FROM ct_read_verdicts WHERE race_id = %s", (race_id,))
    elif read_ids:
        conn.execute(
            "DELETE FROM ct_read_verdicts WHERE race_id = %s AND read_id = ANY(%s)",
            (race_id, read_ids),
        )
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY ct_read_verdicts (race_id, read_id, result_id, location_name, tag_code, verdict, "
            "reason) FROM STDIN"
        ) as copy,
    ):
        for v in verdicts:
            copy.write_row((race_id, *v))


def write_splits(
    conn: psycopg.Connection[Any],
    timed: dict[int, Timing],
    rules: list[pts.PointRule],
    entries: dict[int, Entry],
    waves: dict[str, datetime],
    gun: datetime | None,
    full: bool,
    race_id: int,
) -> None:
    """Replace the splits (every point after the start) of the runners just timed."""
    if full:
        conn.execute("DELETE FROM ct_splits WHERE race_id = %s", (race_id,))
    elif timed:
        conn.execute("DELETE FROM ct_splits WHERE result_id = ANY(%s)", (list(timed),))
    distance = {r.location: r.distance_m for r in rules}
    partner = conn.execute("SELECT partner_id FROM ct_races WHERE id = %s", (race_id,)).fetchone()
    assert partner is not None
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY ct_splits (result_id, race_id, partner_id, point, distance_m, crossing_time, "
            "elapsed, read_id) FROM STDIN"
        ) as copy,
    ):
        for rid, t in timed.items():
            e = entries[rid]
            ref = t.start or runner_gun(gun, waves, e.wave)
            if ref is None:
                continue
            for loc, (ts, read_id) in t.splits.items():
                hand = read_id < 0  # a hand time (a correction), not a read
                copy.write_row(
                    (rid, race_id, partner[0], loc, distance[loc], ts, ts - ref,
                     None if hand else read_id)
                )  # fmt: skip
