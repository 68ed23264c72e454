"""A small 10K built by hand for the awards and export tests: ties, a DQ'd fastest woman,
a held (``review``) fastest man, a non-binary runner, masters and grand masters, a DNF
with a split, teams, wheelchair.

Places are set by the store's own ``update_places`` (gun time, the race's place basis),
age groups by ``AgeGroups`` (the default 5-year groups), as scoring would.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import psycopg

from p88.store.results import AgeGroups, update_places

GUN = datetime(2026, 5, 3, 8, 0)
# bib, first, last, sex, age, status, chip, gun, 5K split (chip), city, state, fields
RUNNERS: list[tuple[Any, ...]] = [
    (
        "101",
        "Ada",
        "Swift",
        "F",
        34,
        "finished",
        "35:10",
        "35:12",
        "17:30",
        "Hartford",
        "CT",
        {"team": "River Runners"},
    ),
    ("102", "Bea", "Strong", "F", 42, "finished", "36:00", "36:05", "17:55", "Salem", "MA", {}),
    (
        "103",
        "Cara",
        "Lane",
        "F",
        44,
        "finished",
        "38:00",
        "38:01",
        "18:40",
        "Avon",
        "CT",
        {"team": "River Runners"},
    ),
    ("104", "Dee", "Moss", "F", 41, "finished", "37:59.5", "38:01", "18:41", "Avon", "CT", {}),
    ("105", "Eve", "Hall", "F", 36, "DQ", "34:00", "34:02", "16:50", "Lyme", "NH", {}),
    ("106", "Fay", "Reed", "F", 33, "finished", "40:00", "40:03", "19:58", "Derby", "VT", {}),
    (
        "107",
        "Gil",
        "Park",
        "M",
        29,
        "finished",
        "31:00",
        "31:02",
        "15:20",
        "Hartford",
        "CT",
        {"team": "River Runners"},
    ),
    ("108", "Hal", "Ives", "M", 45, "finished", "32:30", "32:31", "16:02", "Salem", "MA", {}),
    ("109", "Ian", "Cole", "M", 52, "finished", "33:00", "33:05", "16:31", "Avon", "CT", {}),
    (
        "110",
        "Jon",
        "Dale",
        "M",
        47,
        "finished",
        "34:00",
        "34:01",
        "16:58",
        "Derby",
        "VT",
        {"wheelchair": "yes"},
    ),
    ("111", "Kai", "Roe", "M", 38, "review", "30:00", "30:01", "14:50", "Salem", "MA", {}),
    ("112", "Lee", "Fox", "M", 31, "DNF", None, None, "16:10", "Lyme", "NH", {}),
    (
        "113",
        "Max",
        "Bell",
        "M",
        27,
        "finished",
        "35:00",
        "35:00.5",
        "17:20",
        "Avon",
        "CT",
        {"team": "River Runners"},
    ),
    ("114", "Ned", "Ash", "X", 30, "finished", "37:00", "37:02", "18:20", "Salem", "MA", {}),
    (
        "115",
        "Oli",
        "Day",
        "M",
        55,
        "finished",
        "36:40",
        "36:42",
        "18:10",
        "Derby",
        "VT",
        {"wheelchair": "yes"},
    ),
    ("116", "Pia", "Snow", "F", 58, "finished", "44:10", "44:20", None, "Lyme", "NH", {}),
]


def mmss(text: str | None) -> timedelta | None:
    if text is None:
        return None
    minutes, _, seconds = text.partition(":")
    return timedelta(minutes=int(minutes), seconds=float(seconds))


def build(
    conn: psycopg.Connection[Any],
    runners: list[tuple[Any, ...]] | None = None,
    *,
    partner_code: str = "valley",
    event_name: str = "Valley 10K",
) -> int:
    """The race's id, with its entries, splits and places."""
    partner = conn.execute(
        "INSERT INTO timing_partners (name, code) VALUES (%s, %s) RETURNING id",
        (f"{partner_code.title()} Timing", partner_code),
    ).fetchone()[0]  # type: ignore[index]
    event = conn.execute(
        "INSERT INTO ct_events (partner_id, name, event_date, city, state)"
        " VALUES (%s, %s, %s, 'Hartford', 'CT') RETURNING id",
        (partner, event_name, date(2026, 5, 3)),
    ).fetchone()[0]  # type: ignore[index]
    race: int = conn.execute(
        "INSERT INTO ct_races (partner_id, event_id, name, distance_m, start_time)"
        " VALUES (%s, %s, '10K', 10000, %s) RETURNING id",
        (partner, event, GUN),
    ).fetchone()[0]  # type: ignore[index]
    for name, kind, seq, metres in (("START", "start", 0, 0), ("5K", "split", 1, 5000),
                                    ("FINISH", "finish", 2, 10000)):  # fmt: skip
        conn.execute(
            "INSERT INTO ct_race_points (race_id, event_id, partner_id, location_name, kind, seq,"
            " distance_m) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (race, event, partner, name, kind, seq, metres),
        )
    groups = AgeGroups()
    for bib, first, last, sex, age, status, chip, gun, split, city, st, fields in (
        runners or RUNNERS
    ):
        person = conn.execute(
            "INSERT INTO ct_participants (first_name, last_name, sex, birth_date, city, state)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (first, last, sex, date(2026 - age - 1, 9, 1), city, st),
        ).fetchone()[0]  # type: ignore[index]
        rid = conn.execute(
            "INSERT INTO ct_results (partner_id, event_id, race_id, participant_id, bib, sex, age,"
            " age_group, status, chip_time, gun_time, finish_time, source, entry_fields)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'scored', %s) RETURNING id",
            (
                partner,
                event,
                race,
                person,
                bib,
                sex,
                age,
                groups.label(age),
                status,
                mmss(chip),
                mmss(gun),
                GUN + mmss(gun) if gun else None,
                json.dumps(fields),
            ),
        ).fetchone()[0]  # type: ignore[index]
        offset = (mmss(gun) or timedelta(0)) - (mmss(chip) or timedelta(0))
        for point, metres, elapsed in (("5K", 5000, mmss(split)), ("FINISH", 10000, mmss(chip))):
            if elapsed is not None:
                conn.execute(
                    "INSERT INTO ct_splits (result_id, race_id, partner_id, point, distance_m,"
                    " crossing_time, elapsed) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (rid, race, partner, point, metres, GUN + offset + elapsed, elapsed),
                )
    update_places(conn, race)
    return race
