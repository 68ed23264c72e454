"""``ultrasignup``: UltraSignup's results loader CSV —
place,time,first,last,gender,age,dob,bib,city,state,status, with UltraSignup's status
codes (1 finished, 2 DNF, 3 DNS, 5 disqualified). A held result (``review``) is not a
result yet and is left out; a runner with no outcome is left out too."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from p88.exports._csv import Cell, CsvExporter, clock, day, official
from p88.store import RaceSheet

HEADER = ["place", "time", "first", "last", "gender", "age", "dob", "bib", "city", "state",
          "status"]  # fmt: skip
STATUS = {"finished": 1, "DNF": 2, "DNS": 3, "DQ": 5}


def rows(sheet: RaceSheet) -> Iterator[Sequence[Cell]]:
    yield HEADER
    for r in sheet.rows:
        code = STATUS.get(r.status or "")
        if code is None:
            continue
        placed = code == 1
        yield [
            r.overall_place if placed else "", clock(official(sheet, r)) if placed else "",
            r.first_name, r.last_name, r.sex, r.age, day(r.birth_date), r.bib, r.city,
            r.state, code,
        ]  # fmt: skip


EXPORTER = CsvExporter(name="ultrasignup", description="UltraSignup results CSV", rows=rows)
