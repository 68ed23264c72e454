"""``csv``: every entry with every column p88 has — places, times, paces, age grade, and
per split the elapsed time, the place there and the pace so far."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from p88.exports._csv import Cell, CsvExporter, clock, pace_cell
from p88.store import RaceSheet

HEADER = [
    "Place", "Bib", "First Name", "Last Name", "Sex", "Age", "Age Group", "Sex Place",
    "Age Group Place", "City", "State", "Country", "Status", "Chip Time", "Gun Time",
    "Pace /mi", "Pace /km", "Age Grade %", "Age Graded Time",
]  # fmt: skip


def rows(sheet: RaceSheet) -> Iterator[Sequence[Cell]]:
    splits = sheet.splits
    yield HEADER + [f"{p.name} {what}" for p in splits for what in ("Time", "Place", "Pace /km")]
    for r in sheet.rows:
        cells: list[Cell] = [
            r.overall_place, r.bib, r.first_name, r.last_name, r.sex, r.age, r.age_group,
            r.sex_place, r.age_group_place, r.city, r.state, r.country, r.status,
            clock(r.chip_time), clock(r.gun_time), pace_cell(r.pace_mile),
            pace_cell(r.pace_km, "km"), f"{r.grade.percent:.2f}" if r.grade else "",
            clock(r.grade.graded) if r.grade else "",
        ]  # fmt: skip
        for p in splits:
            s = r.splits.get(p.name)
            cells += [clock(s.elapsed), s.place, pace_cell(s.pace_km, "km")] if s else ["", "", ""]
        yield cells


EXPORTER = CsvExporter(
    name="csv", description="every entry, every column (places, paces, age grade, splits)",
    rows=rows,
)  # fmt: skip
