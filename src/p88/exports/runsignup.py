"""``runsignup``: RunSignUp's results upload CSV — placed finishers, with the clock and
chip time RunSignUp's results sets carry, gender and division places, pace per mile and
the splits in course order (RunSignUp maps each column on upload)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from p88.exports._csv import Cell, CsvExporter, clock, finishers, pace_cell, split_cells
from p88.store import RaceSheet

HEADER = [
    "Place", "Bib", "First Name", "Last Name", "Gender", "Age", "City", "State", "Country",
    "Clock Time", "Chip Time", "Pace", "Gender Place", "Division", "Division Place",
]  # fmt: skip


def rows(sheet: RaceSheet) -> Iterator[Sequence[Cell]]:
    yield HEADER + [p.name for p in sheet.splits]
    for r in finishers(sheet):
        yield [
            r.overall_place, r.bib, r.first_name, r.last_name, r.sex, r.age, r.city, r.state,
            r.country, clock(r.time_by("gun")), clock(r.chip_time),
            pace_cell(r.pace_mile), r.sex_place, r.division, r.age_group_place,
            *split_cells(sheet, r),
        ]  # fmt: skip


EXPORTER = CsvExporter(name="runsignup", description="RunSignUp results upload CSV", rows=rows)
