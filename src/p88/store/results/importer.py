"""Importing participants.csv and results.csv: all rows or none.

Every row is read and checked before anything is written; a file with a missing required
column or any bad row raises ``ImportRejected`` naming each bad row (its line in the file)
and why, and the database is left as it was. A good file is written in one transaction:
people are matched to existing participants (same bib in the same race, the same
registration id, or the same name and birth year) or created, and entries are upserted by
(race, bib), so importing a corrected file again updates instead of duplicating.

A results file is one with a time, status or place column; its rows become results (and
the race is re-placed when the file has no places). A participants file only registers
entries, leaving any times alone.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from p88.errors import InputError
from p88.store.results import columns as col
from p88.store.results.agegroups import AgeGroups
from p88.store.results.importdb import RaceInfo, load_races, write_rows
from p88.store.results.places import update_places
from p88.units import pace

if TYPE_CHECKING:
    import psycopg

RESULT_FIELDS = {"chip_time", "gun_time", "status", "overall_place", "sex_place"}
SHOWN_ERRORS = 10


@dataclass(frozen=True)
class RowError:
    """One bad row: its line in the file, the column at fault (if one) and why."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ImportRejected(InputError):
    """The file was not imported; ``errors`` lists every bad row."""

    def __init__(self, path: Path, errors: list[RowError]) -> None:
        shown = "; ".join(str(e) for e in errors[:SHOWN_ERRORS])
        more = f"; and {len(errors) - SHOWN_ERRORS} more" if len(errors) > SHOWN_ERRORS else ""
        super().__init__(
            f"{path.name}: {len(errors)} bad row(s), nothing imported: {shown}{more}",
            what="file",
            where=str(path),
            hint="fix the rows and import again",
        )
        self.errors = errors


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote."""

    kind: str
    rows: int
    participants_created: int
    participants_matched: int
    races: list[int]
    placed: bool


def import_file(
    conn: psycopg.Connection[Any],
    path: Path,
    *,
    race_id: int | None = None,
    event_id: int | None = None,
    mapping: dict[str, str] | None = None,
    age_groups: AgeGroups | None = None,
) -> ImportSummary:
    """Import a participants or results CSV into one race (``race_id``), or into the races
    of one event named in the file's race column (``event_id``)."""
    if (race_id is None) == (event_id is None):
        raise InputError(
            "say where the rows go: a race or an event",
            hint="--race ID or --event ID",
            what="race or event",
            where="--race/--event",
        )
    groups = age_groups or AgeGroups()
    headers, body = _read_csv(path)
    fields = col.match_columns(headers, mapping or {})
    if event_id is not None and "race" not in fields:
        raise InputError(
            f"{path.name} has no race column to place rows in event {event_id}",
            hint="pass --race ID, or add a 'Race' column",
            what="file",
            where=str(path),
        )
    races = load_races(conn, race_id=race_id, event_id=event_id)
    kind = "results" if RESULT_FIELDS & fields.keys() else "participants"
    rows: list[dict[str, Any]] = []
    errors: list[RowError] = []
    seen: dict[tuple[int, str], int] = {}
    for line, cells in body:
        try:
            row = _row(cells, fields, races, race_id, kind, groups)
        except _BadCell as exc:
            errors.append(RowError(line, exc.column, str(exc)))
            continue
        key = (row["race_id"], row["bib"])
        if key in seen:
            errors.append(RowError(line, "bib", f"bib {row['bib']} already on line {seen[key]}"))
            continue
        seen[key] = line
        row["line"] = line
        rows.append(row)
    if errors:
        raise ImportRejected(path, errors)
    if not rows:
        raise InputError(f"{path.name} has no rows to import", what="file", where=str(path))
    with conn.transaction():
        created, matched = write_rows(conn, rows, results=kind == "results")
        if fields.keys() & {"message", "vip"}:
            _save_display(conn, rows, fields.keys() & {"message", "vip"})
        placed = kind == "results" and "overall_place" not in fields
        touched = sorted({r["race_id"] for r in rows})
        if placed:
            for r in touched:
                update_places(conn, r)
    return ImportSummary(kind, len(rows), created, matched, touched, placed)


def _save_display(
    conn: psycopg.Connection[Any], rows: list[dict[str, Any]], keys: set[str]
) -> None:
    """A participants file's Message / VIP columns, to the runner display (migration 018)."""
    from p88.store.results.messages import save_messages

    for race in sorted({r["race_id"] for r in rows}):
        mine = [{"bib": r["bib"], **{k: r[k] for k in keys}} for r in rows if r["race_id"] == race]
        save_messages(conn, race, mine)


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"no such file: {path}", what="file", where=str(path)) from None
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    headers = next(reader, [])
    body = [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]
    return headers, body


class _BadCell(ValueError):
    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column


def _row(
    cells: list[str],
    fields: dict[str, int],
    races: dict[str, RaceInfo],
    race_id: int | None,
    kind: str,
    groups: AgeGroups,
) -> dict[str, Any]:
    def cell(name: str) -> str:
        i = fields.get(name)
        return cells[i].strip() if i is not None and 0 <= i < len(cells) else ""

    out: dict[str, Any] = {}
    if race_id is not None:
        race = races[str(race_id)]
    else:
        name = cell("race")
        if name.lower() not in races:
            known = ", ".join(sorted({r.name for r in races.values()}))
            raise _BadCell("race", f"race {name!r} is not in the event (races: {known})")
        race = races[name.lower()]
    out["race_id"] = race.id
    out["bib"] = cell("bib")
    if not out["bib"]:
        raise _BadCell("bib", "no bib")
    if len(out["bib"]) > 16:
        raise _BadCell("bib", f"bib {out['bib']!r} is longer than 16 characters")
    first, last = cell("first_name"), cell("last_name")
    if fields.get("first_name") == -1:
        first, _, last = cell("name").rpartition(" ")
    if not first or not last:
        raise _BadCell("name", "no first and last name")
    out["first_name"], out["last_name"] = first, last
    try:
        _typed(out, cell, race.event_date, kind)
    except col.CellError as exc:
        raise _BadCell(exc.args[1] if len(exc.args) > 1 else None, str(exc.args[0])) from None
    out["age_group"] = cell("age_group") or groups.label(out["age"])
    if out["chip_time"] is not None:
        out["pace"] = pace(out["chip_time"], race.distance_m)
    return out


def _typed(out: dict[str, Any], cell: Any, race_day: date, kind: str) -> None:
    """Parse the typed cells into ``out``; a CellError carries (message, column)."""

    def parse(name: str, fn: Any, *args: Any) -> Any:
        text = cell(name)
        if not text:
            return None
        try:
            return fn(text, *args)
        except col.CellError as exc:
            raise col.CellError(str(exc), name) from None

    out["sex"] = parse("sex", col.parse_sex)
    out["age"] = parse("age", col.parse_int, 0, 120, "age")
    out["birth_date"] = parse("birth_date", col.parse_date)
    out["birth_year"] = parse("birth_year", col.parse_int, 1900, race_day.year, "birth year")
    if out["birth_date"] and not out["birth_year"]:
        out["birth_year"] = out["birth_date"].year
    if out["age"] is None and out["birth_date"]:
        b = out["birth_date"]
        out["age"] = race_day.year - b.year - ((race_day.month, race_day.day) < (b.month, b.day))
    if out["age"] is None and out["birth_year"]:
        out["age"] = race_day.year - out["birth_year"]
    if out["birth_year"] is None and out["age"] is not None:
        out["birth_year"] = race_day.year - out["age"]
    for name in ("city", "state", "country", "email", "tag", "wave", "external_id"):
        out[name] = cell(name) or None
    out["message"] = parse("message", col.parse_message)
    out["vip"] = parse("vip", col.parse_vip) or False
    out["chip_time"] = parse("chip_time", col.parse_duration)
    out["gun_time"] = parse("gun_time", col.parse_duration)
    for name in ("overall_place", "sex_place", "age_group_place"):
        out[name] = parse(name, col.parse_int, 1, 10_000_000, name.replace("_", " "))
    out["pace"] = None
    status = parse("status", col.parse_status)
    if kind == "results":
        if status is None:
            if out["chip_time"] is None and out["gun_time"] is None:
                raise col.CellError("no time and no status", "chip_time")
            status = "finished"
        if status == "finished" and out["chip_time"] is None and out["gun_time"] is None:
            raise col.CellError("finished without a time", "chip_time")
        if out["chip_time"] is None:
            out["chip_time"] = out["gun_time"]
    out["status"] = status
