"""Race Roster's timer files: the participants export in, bib upload and results CSV out.

Race Roster's timer tools exchange CSV files, so p88 reads and writes those files. Race
Roster also documents an OAuth2 API (developers.raceroster.com, base
``https://raceroster.com/api/v1``), but the pages found did not state the participant
and result endpoints and their fields, so no API client is included.

* ``import_export``: Race Roster's participants export (or a results export), read by
  ``p88 results import``'s own importer. ``Participant ID`` becomes the entry's external
  id; a participant whose bib or chip changed since the last import has the change
  applied to the entry it already has, and audited, before the file is imported.
* ``write_bibs``: the bib upload, ``Participant ID,Bib Number``, one row per entry that
  came from Race Roster.
* ``write_results``: a results CSV for Race Roster's results upload, which matches columns
  by name when uploading (assumed: the column names below are offered for matching by
  hand in its upload screen; nothing depends on Race Roster guessing them).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from p88.store import ImportSummary
from p88.store import import_results_file as import_file
from p88.store import read_csv_rows as _read_csv
from p88.store import result_columns as col
from p88.sync.errors import SyncError
from p88.sync.reassign import Move, apply_moves
from p88.sync.results_rows import clock_text

if TYPE_CHECKING:
    import psycopg

PROVIDER = "raceroster"
# Race Roster export headers p88 results import does not already know (normalised form);
# assumed from Race Roster's Canadian/US exports. --map overrides any of them.
HEADERS = {"provincestate": "state", "stateprovince": "state", "bibnumber": "bib"}
BIB_HEADER = ["Participant ID", "Bib Number"]
RESULT_HEADER = [
    "Participant ID", "Bib", "First Name", "Last Name", "Gender", "Age", "City", "State",
    "Chip Time", "Gun Time", "Pace", "Overall Place", "Gender Place", "Division",
    "Division Place", "Status",
]  # fmt: skip


@dataclass(frozen=True)
class RosterImport:
    """An import's summary, and the bib/chip changes applied before it."""

    summary: ImportSummary
    changes: list[dict[str, Any]]


def _moves(conn: psycopg.Connection[Any], race_id: int, path: Path,
           mapping: dict[str, str]) -> list[Move]:  # fmt: skip
    """Entries of the race whose participant id is in the file with another bib or chip."""
    headers, body = _read_csv(path)
    fields = col.match_columns(headers, mapping)
    if "external_id" not in fields:
        return []
    ext, bib_at, tag_at = fields["external_id"], fields["bib"], fields.get("tag")
    wanted: dict[str, tuple[str, str | None]] = {}
    for _line, cells in body:
        if max(ext, bib_at) < len(cells) and cells[ext].strip() and cells[bib_at].strip():
            tag = (
                cells[tag_at].strip() or None
                if tag_at is not None and tag_at < len(cells)
                else None
            )
            wanted[cells[ext].strip()] = (cells[bib_at].strip(), tag)
    if not wanted:
        return []
    rows = conn.execute(
        "SELECT r.id, p.external_id, r.bib, r.tag_code FROM ct_results r "
        "JOIN ct_participants p ON p.id = r.participant_id "
        "WHERE r.race_id = %s AND p.external_id = ANY(%s)",
        (race_id, list(wanted)),
    ).fetchall()
    moves = []
    for rid, ext_id, bib, tag in rows:
        new_bib, new_tag = wanted[ext_id]
        new_tag = new_tag if tag_at is not None else tag
        if (new_bib, new_tag) != (bib, tag):
            reg = int(ext_id) if ext_id.isdigit() else None
            moves.append(Move(rid, reg, bib, new_bib, tag, new_tag))
    return moves


def import_export(
    conn: psycopg.Connection[Any], path: Path, race_id: int, mapping: dict[str, str] | None = None
) -> RosterImport:
    """Import a Race Roster export into the race: changes first, then the importer; all or none."""
    mapping = {**HEADERS, **(mapping or {})}
    with conn.transaction():
        changes = apply_moves(conn, race_id, _moves(conn, race_id, path, mapping), PROVIDER)
        summary = import_file(conn, path, race_id=race_id, mapping=mapping)
    return RosterImport(
        summary,
        [{"result_id": c.result_id, "participant_id": c.registration_id, "field": c.field,
          "old": c.old, "new": c.new} for c in changes],
    )  # fmt: skip


def write_bibs(conn: psycopg.Connection[Any], race_id: int, out: Path) -> int:
    """Write the bib upload (Participant ID, Bib Number); returns the rows written."""
    rows = conn.execute(
        "SELECT p.external_id, r.bib FROM ct_results r "
        "JOIN ct_participants p ON p.id = r.participant_id "
        "WHERE r.race_id = %s AND p.external_id IS NOT NULL ORDER BY p.external_id",
        (race_id,),
    ).fetchall()
    if not rows:
        raise SyncError(
            f"race {race_id} has no entries with a Race Roster participant id",
            hint="import the Race Roster participants export first",
        )
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(BIB_HEADER)
        writer.writerows(rows)
    return len(rows)


def write_results(conn: psycopg.Connection[Any], race_id: int, out: Path) -> int:
    """Write the race's results CSV for Race Roster's upload; returns the rows written."""
    points = [
        r[0]
        for r in conn.execute(
            "SELECT location_name FROM ct_race_points WHERE race_id = %s AND kind = 'split' "
            "ORDER BY seq, location_name",
            (race_id,),
        ).fetchall()
    ]
    splits: dict[int, dict[str, str]] = {}
    for rid, point, elapsed in conn.execute(
        "SELECT result_id, point, elapsed FROM ct_splits WHERE race_id = %s", (race_id,)
    ).fetchall():
        splits.setdefault(rid, {})[point] = clock_text(elapsed)
    rows = conn.execute(
        """
        SELECT r.id, p.external_id, r.bib, p.first_name, p.last_name, r.sex, r.age, p.city,
               p.state, r.chip_time, r.gun_time, r.pace, r.overall_place, r.sex_place,
               r.age_group, r.age_group_place, r.status
        FROM ct_results r JOIN ct_participants p ON p.id = r.participant_id
        WHERE r.race_id = %s AND r.status IS NOT NULL
        ORDER BY r.overall_place NULLS LAST, r.status, r.bib
        """,
        (race_id,),
    ).fetchall()
    if not rows:
        raise SyncError(f"race {race_id} has no results yet", hint="p88 results score first")
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(RESULT_HEADER + points)
        for rid, *cells in rows:
            sex, group = cells[4], cells[13]
            cells[13] = f"{sex or ''}{group}" if group else None  # Division: 'M40-44'
            writer.writerow(
                ["" if v is None else clock_text(v) if hasattr(v, "total_seconds") else v
                 for v in cells]
                + [splits.get(rid, {}).get(p, "") for p in points]
            )  # fmt: skip
    return len(rows)
