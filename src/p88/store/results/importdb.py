"""The database side of imports: the target races, and writing checked rows at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from p88.errors import InputError

if TYPE_CHECKING:
    import psycopg

_COLUMNS = (
    "line", "race_id", "bib", "first_name", "last_name", "sex", "birth_year", "birth_date",
    "age", "age_group", "city", "state", "country", "email", "tag", "wave", "external_id",
    "chip_time", "gun_time", "pace", "status", "overall_place", "sex_place", "age_group_place",
)  # fmt: skip

_STAGE = """
CREATE TEMP TABLE p88_import (
    line INTEGER, race_id INTEGER, bib TEXT, first_name TEXT, last_name TEXT, sex TEXT,
    birth_year INTEGER, birth_date DATE, age INTEGER, age_group TEXT, city TEXT, state TEXT,
    country TEXT, email TEXT, tag TEXT, wave TEXT, external_id TEXT, chip_time INTERVAL,
    gun_time INTERVAL, pace INTERVAL, status TEXT, overall_place INTEGER, sex_place INTEGER,
    age_group_place INTEGER, participant_id INTEGER
) ON COMMIT DROP
"""

# Who is who: the entry already holding this bib, the registration id, then name + birth year.
_MATCH = (
    """UPDATE p88_import i SET participant_id = r.participant_id FROM ct_results r
       WHERE r.race_id = i.race_id AND r.bib = i.bib""",
    """UPDATE p88_import i SET participant_id = p.id FROM ct_participants p
       WHERE i.participant_id IS NULL AND i.external_id IS NOT NULL
         AND p.external_id = i.external_id""",
    """UPDATE p88_import i SET participant_id = m.id FROM (
           SELECT DISTINCT ON (lower(first_name), lower(last_name), birth_year)
                  id, lower(first_name) AS f, lower(last_name) AS l, birth_year
           FROM ct_participants WHERE birth_year IS NOT NULL
           ORDER BY lower(first_name), lower(last_name), birth_year, id) m
       WHERE i.participant_id IS NULL AND i.birth_year IS NOT NULL
         AND m.f = lower(i.first_name) AND m.l = lower(i.last_name)
         AND m.birth_year = i.birth_year""",
)

_NEW_PEOPLE = """
WITH fresh AS (
    UPDATE p88_import SET participant_id = nextval(pg_get_serial_sequence('ct_participants', 'id'))
    WHERE participant_id IS NULL
    RETURNING *
)
INSERT INTO ct_participants (id, first_name, last_name, sex, birth_year, birth_date, city, state,
                             country, email, external_id)
SELECT participant_id, first_name, last_name, sex, birth_year, birth_date, city, state,
       coalesce(country, 'US'), email, external_id
FROM fresh
"""

_ENTRIES = """
INSERT INTO ct_results AS r (partner_id, event_id, race_id, participant_id, bib, tag_code, wave,
    sex, age, age_group, chip_time, gun_time, pace, status, overall_place, sex_place,
    age_group_place, source)
SELECT ra.partner_id, ra.event_id, i.race_id, i.participant_id, i.bib, i.tag, i.wave, i.sex,
       i.age, i.age_group, i.chip_time, i.gun_time, i.pace, i.status, i.overall_place,
       i.sex_place, i.age_group_place, 'import'
FROM p88_import i JOIN ct_races ra ON ra.id = i.race_id
ON CONFLICT (race_id, bib) DO UPDATE SET
    participant_id = EXCLUDED.participant_id, tag_code = EXCLUDED.tag_code,
    wave = EXCLUDED.wave, sex = EXCLUDED.sex, age = EXCLUDED.age,
    age_group = EXCLUDED.age_group, updated_at = now()
"""

_TIMES = """
UPDATE ct_results r SET chip_time = i.chip_time, gun_time = i.gun_time, pace = i.pace,
    status = i.status, overall_place = i.overall_place, sex_place = i.sex_place,
    age_group_place = i.age_group_place, source = 'import'
FROM p88_import i WHERE r.race_id = i.race_id AND r.bib = i.bib
"""


@dataclass(frozen=True)
class RaceInfo:
    """A race rows can go to."""

    id: int
    name: str
    distance_m: int
    event_date: date


def load_races(
    conn: psycopg.Connection[Any], *, race_id: int | None, event_id: int | None
) -> dict[str, RaceInfo]:
    """The target races, keyed by id (``--race``) or by lower-cased name (``--event``)."""
    rows = conn.execute(
        "SELECT r.id, r.name, r.distance_m, e.event_date FROM ct_races r "
        "JOIN ct_events e ON e.id = r.event_id WHERE r.id = %s OR r.event_id = %s",
        (race_id, event_id),
    ).fetchall()
    if not rows:
        what = (
            f"race {race_id}" if race_id is not None else f"event {event_id} (or it has no races)"
        )
        raise InputError(
            f"no {what}",
            hint="create it with p88 results new-race",
            what="race" if race_id is not None else "event",
            where="--race" if race_id is not None else "--event",
        )
    infos = [RaceInfo(*r) for r in rows]
    if race_id is not None:
        return {str(race_id): infos[0]}
    return {i.name.lower(): i for i in infos}


def write_rows(
    conn: psycopg.Connection[Any], rows: list[dict[str, Any]], *, results: bool
) -> tuple[int, int]:
    """Stage the rows, match or create people, upsert entries; returns (created, matched)."""
    conn.execute(_STAGE)
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY p88_import (" + ", ".join(_COLUMNS) + ") FROM STDIN"  # constant column names
        ) as copy,
    ):
        for row in rows:
            copy.write_row(tuple(row[c] for c in _COLUMNS))
    for statement in _MATCH:
        conn.execute(statement)
    matched = conn.execute(
        "SELECT count(*) FROM p88_import WHERE participant_id IS NOT NULL"
    ).fetchone()
    created = conn.execute(_NEW_PEOPLE).rowcount
    conn.execute(_ENTRIES)
    if results:
        conn.execute(_TIMES)
    return created, int(matched[0]) if matched else 0
