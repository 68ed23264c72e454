"""A race's entries as scoring sees them, and what their result row becomes.

An entry is a ``ct_results`` row: a participant's bib (and tag) in one race. Scoring
rewrites only the timing columns of entries whose reads changed; ``outcome`` is that
computation, kept apart from the database so tests can check it directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from p88.store.results.crossings import Timing
from p88.store.results.flags import result_flags
from p88.store.results.guns import elapsed
from p88.store.results.points import PointRule
from p88.store.results.settings import RaceSettings
from p88.units import pace as per_mile
from p88.units import truncate

if TYPE_CHECKING:
    import psycopg


@dataclass
class Entry:
    """One ``ct_results`` row of the race, with the columns scoring reads and writes."""

    id: int
    bib: str
    tag: str
    wave: str | None
    sex: str | None
    age: int | None
    age_group: str | None
    status: str | None
    start_time: datetime | None
    finish_time: datetime | None
    chip_time: timedelta | None
    gun_time: timedelta | None
    pace: timedelta | None
    note: str | None

    def timing_columns(self) -> tuple[Any, ...]:
        return (
            self.age,
            self.age_group,
            self.status,
            self.start_time,
            self.finish_time,
            self.chip_time,
            self.gun_time,
            self.pace,
            self.note,
        )


def load_tags(conn: psycopg.Connection[Any], race_id: int) -> dict[str, list[tuple[int, str]]]:
    """Tag -> the (id, bib) of the entries carrying it (the tag is the bib unless mapped)."""
    tags: dict[str, list[tuple[int, str]]] = {}
    for rid, bib, tag in conn.execute(
        "SELECT id, bib, coalesce(tag_code, bib) FROM ct_results WHERE race_id = %s", (race_id,)
    ).fetchall():
        tags.setdefault(tag, []).append((rid, bib))
    return tags


def load_entries(
    conn: psycopg.Connection[Any], race_id: int, race_day: date, ids: list[int] | None = None
) -> list[Entry]:
    """The race's entries (all, or those in ``ids``); age from the birth year when not given."""
    rows = conn.execute(
        """
        SELECT r.id, r.bib, coalesce(r.tag_code, r.bib), r.wave, coalesce(r.sex, p.sex),
               coalesce(r.age, %s - p.birth_year), r.age_group, r.status, r.start_time,
               r.finish_time, r.chip_time, r.gun_time, r.pace, r.note
        FROM ct_results r JOIN ct_participants p ON p.id = r.participant_id
        WHERE r.race_id = %s AND (%s::bigint[] IS NULL OR r.id = ANY(%s::bigint[]))
        ORDER BY r.id
        """,
        (race_day.year, race_id, ids, ids),
    ).fetchall()
    return [Entry(*row) for row in rows]


def outcome(
    entry: Entry,
    timing: Timing,
    gun: datetime | None,
    distance_m: int,
    settings: RaceSettings,
    *,
    final: bool,
    rules: Sequence[PointRule] = (),
) -> Entry:
    """The entry as its reads say it is: times, status, note, age group.

    A finish that a flag holds (:func:`p88.store.results.flags.result_flags`) has status
    ``review``: it is not placed, and its note says why."""
    notes = list(timing.notes)
    chip = gun_time = pace = None
    held = False
    reference = timing.start or gun
    if timing.finish is not None and reference is not None:
        chip = truncate(timing.finish - reference)
        gun_time = elapsed(timing.finish, gun)
        pace = per_mile(chip, distance_m)
        flags = result_flags(timing, chip, distance_m, rules, gun, settings.cutoff)
        notes += flags
        held = bool(flags)
    if entry.status == "DQ":
        status: str | None = "DQ"
    elif chip is not None:
        status = "review" if held else "finished"
    elif final:
        status = "DNF" if timing.reads_used else "DNS"
    else:
        status = entry.status if entry.status in ("DNF", "DNS") else None  # kept until a finish
    return Entry(
        id=entry.id,
        bib=entry.bib,
        tag=entry.tag,
        wave=entry.wave,
        sex=entry.sex,
        age=entry.age,
        age_group=settings.label(entry.sex, entry.age),
        status=status,
        start_time=timing.start,
        finish_time=timing.finish,
        chip_time=chip,
        gun_time=gun_time,
        pace=pace,
        note="; ".join(notes) or None,
    )


def write_entries(conn: psycopg.Connection[Any], changed: list[Entry]) -> None:
    """Write the timing columns of ``changed`` entries (COPY to a temporary table, one UPDATE)."""
    if not changed:
        return
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS p88_scored (id BIGINT, age SMALLINT, age_group TEXT, "
        "status TEXT, start_time TIMESTAMP, finish_time TIMESTAMP, chip_time INTERVAL, "
        "gun_time INTERVAL, pace INTERVAL, note TEXT) ON COMMIT DELETE ROWS"
    )
    with conn.cursor() as cur:
        with cur.copy("COPY p88_scored FROM STDIN") as copy:
            for e in changed:
                copy.write_row((e.id, *e.timing_columns()))
        cur.execute(
            """
            UPDATE ct_results r SET age = s.age, age_group = s.age_group, status = s.status,
                start_time = s.start_time, finish_time = s.finish_time, chip_time = s.chip_time,
                gun_time = s.gun_time, pace = s.pace, note = s.note, source = 'scored',
                updated_at = now()
            FROM p88_scored s WHERE r.id = s.id
            """
        )
