"""``athlinks``: the Athlinks results CSV — First Name, Last Name, Age, Gender, Rank,
Class/Bracket, Bib, Finish Time, then the splits in course order. Placed finishers only;
Finish Time is the official time (gun, or chip when the race places by chip)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from p88.exports._csv import Cell, CsvExporter, clock, finishers, official, split_cells
from p88.store import RaceSheet

HEADER = ["First Name", "Last Name", "Age", "Gender", "Rank", "Class/Bracket", "Bib",
          "Finish Time"]  # fmt: skip


def rows(sheet: RaceSheet) -> Iterator[Sequence[Cell]]:
    yield HEADER + [p.name for p in sheet.splits]
    for r in finishers(sheet):
        yield [
            r.first_name, r.last_name, r.age, r.sex, r.overall_place, r.division, r.bib,
            clock(official(sheet, r)), *split_cells(sheet, r),
        ]  # fmt: skip


EXPORTER = CsvExporter(name="athlinks", description="Athlinks results CSV", rows=rows)
