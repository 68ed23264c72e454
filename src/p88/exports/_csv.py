"""What the CSV formats share: time text, the official time, the rows to list, writing.

Times are :func:`p88.units.elapsed_text` (truncated to the hundredth, as everywhere in
p88); the official time is the gun time unless the race places by chip time, as places
are. Files are UTF-8 with CRLF line ends (RFC 4180), what spreadsheet uploaders expect.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from p88.exports.registry import Publication
from p88.store import RaceSheet, SheetRow
from p88.units import elapsed_text, pace_text

Cell = str | int | float | None
Rows = Callable[[RaceSheet], Iterable[Sequence[Cell]]]


@lru_cache(maxsize=1 << 16)
def clock(value: timedelta | None, digits: int = 2) -> str:
    """A race time as the CSV formats write it: ``1:02:03.45``; blank when none.
    (Cached: a big race repeats its times and paces many times over.)"""
    return "" if value is None else elapsed_text(value, digits=digits)


@lru_cache(maxsize=1 << 16)
def pace_cell(value: timedelta | None, per: str = "mile") -> str:
    return "" if value is None else pace_text(value, "km" if per == "km" else "mile")


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def official(sheet: RaceSheet, row: SheetRow) -> timedelta | None:
    """The time the race places by (:meth:`SheetRow.time_by` its ``place_by``)."""
    return row.time_by(sheet.place_by)


def finishers(sheet: RaceSheet) -> list[SheetRow]:
    """Placed finishers in place order (held, DQ'd and DNF runners are not results)."""
    return [r for r in sheet.rows if r.status == "finished" and r.overall_place is not None]


def split_cells(sheet: RaceSheet, row: SheetRow) -> list[Cell]:
    """The runner's elapsed time at each split, in course order; blank where missed."""
    out: list[Cell] = []
    for point in sheet.splits:
        split = row.splits.get(point.name)
        out.append(clock(split.elapsed) if split else "")
    return out


def write_csv(path: Path, rows: Iterable[Sequence[Cell]], header_rows: int) -> int:
    """Write ``rows`` (headers first); returns how many rows followed the header rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        for count, row in enumerate(rows, start=1 - header_rows):  # noqa: B007
            writer.writerow(["" if c is None else c for c in row])
    return max(count, 0)


@dataclass(frozen=True)
class CsvExporter:
    """A one-file CSV format: its rows come from ``rows(sheet)``, headers first."""

    name: str
    description: str
    rows: Rows
    header_rows: int = 1
    directory: bool = False
    whole_event: bool = False

    def write(self, publication: Publication, path: Path) -> int:
        return write_csv(path, self.rows(publication.sheet), self.header_rows)
