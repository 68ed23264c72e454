"""The JSON shapes of results and awards, for ``--json``, the ``json`` export and the
results site. Durations are ``{"seconds": 3723.45, "iso": "PT1H2M3.45S"}``
(:func:`p88.units.duration_json`), dates ISO 8601; a missing value is null."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from p88.store import Awards, RaceSheet, SheetRow
from p88.units import duration_json


@lru_cache(maxsize=1 << 16)
def duration(value: timedelta | None) -> dict[str, float | str] | None:
    """:func:`p88.units.duration_json`, cached (a big race repeats its paces and times);
    the dict is shared between rows: read it, never change it."""
    return None if value is None else duration_json(value)


def row_json(sheet: RaceSheet, r: SheetRow) -> dict[str, Any]:
    """One entry: places, times, paces, age grade and splits (course order)."""
    return {
        "place": r.overall_place, "bib": r.bib, "first_name": r.first_name,
        "last_name": r.last_name, "name": r.name, "sex": r.sex, "age": r.age,
        "age_group": r.age_group, "sex_place": r.sex_place,
        "age_group_place": r.age_group_place,
        "birth_date": r.birth_date.isoformat() if r.birth_date else None, "city": r.city,
        "state": r.state, "country": r.country, "status": r.status,
        "chip_time": duration(r.chip_time), "gun_time": duration(r.gun_time),
        "pace_per_km": duration(r.pace_km), "pace_per_mile": duration(r.pace_mile),
        "age_grade": None if r.grade is None else {
            "percent": round(r.grade.percent, 2), "factor": round(r.grade.factor, 4),
            "graded_time": duration(r.grade.graded),
        },
        "fields": r.fields,
        "splits": [
            {"point": p.name, "distance_m": p.distance_m, "elapsed": duration(s.elapsed),
             "place": s.place, "pace_per_km": duration(s.pace_km),
             "pace_per_mile": duration(s.pace_mile)}
            for p in sheet.points if (s := r.splits.get(p.name)) is not None
        ],
    }  # fmt: skip


def race_json(sheet: RaceSheet) -> dict[str, Any]:
    """The race itself: names, date, distance, place basis and its points in order."""
    return {
        "race_id": sheet.race_id, "race": sheet.race_name, "event": sheet.event_name,
        "date": sheet.event_date.isoformat(), "distance_m": sheet.distance_m,
        "place_by": sheet.place_by, "city": sheet.city, "state": sheet.state,
        "points": [{"point": p.name, "distance_m": p.distance_m, "finish": p.finish}
                   for p in sheet.points],
    }  # fmt: skip


def awards_json(awards: Awards) -> dict[str, Any]:
    """The awards list: each award with its division, place, bib, name and time."""
    return {
        "race_id": awards.race_id, "title": awards.title, "basis": awards.basis,
        "double_dip": awards.double_dip,
        "awards": [
            {"division": d.code, "division_label": d.label, "place": a.place, "bib": a.bib,
             "name": a.name, "sex": a.sex, "age": a.age, "time": duration(a.time),
             "age_grade": a.age_grade}
            for d in awards.divisions for a in d.awards
        ],
    }  # fmt: skip
