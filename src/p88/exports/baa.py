"""``baa``: the Boston Athletic Association's qualifier submission — three header rows
(race, date and place, distance and certification), then Last Name, First Name, City,
State/Province, Gender, Date of Birth, Age, Clock Time, Chip/Net Time and the splits.
Every placed finisher is listed (the B.A.A. checks the standards itself); times are
whole seconds, truncated, as the submission form asks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from p88.exports._csv import Cell, CsvExporter, clock, day, finishers
from p88.store import RaceSheet

HEADER = ["Last Name", "First Name", "City", "State/Province", "Gender", "Date of Birth",
          "Age", "Clock Time", "Chip/Net Time"]  # fmt: skip


def rows(sheet: RaceSheet) -> Iterator[Sequence[Cell]]:
    where = ", ".join(x for x in (sheet.city, sheet.state) if x)
    yield ["Race Name", sheet.title]
    yield ["Race Date", day(sheet.event_date), "Location", where]
    yield ["Distance (m)", sheet.distance_m, "Finishers", len(finishers(sheet))]
    yield HEADER + [p.name for p in sheet.splits]
    for r in finishers(sheet):
        splits = [clock(s.elapsed, 0) if (s := r.splits.get(p.name)) else ""
                  for p in sheet.splits]  # fmt: skip
        yield [
            r.last_name, r.first_name, r.city, r.state, r.sex, day(r.birth_date), r.age,
            clock(r.time_by("gun"), 0), clock(r.chip_time, 0), *splits,
        ]  # fmt: skip


EXPORTER = CsvExporter(
    name="baa", description="B.A.A. qualifier submission CSV", rows=rows, header_rows=4
)
