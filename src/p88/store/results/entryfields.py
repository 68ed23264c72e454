"""Registration columns p88 has no column for (team, wheelchair, military), kept per entry
in ``ct_results.entry_fields`` (migration 015) so a field division can use them.

The file is a CSV with a bib column (any header the importer knows as the bib) and the
named columns; every row is applied or none: a bib that is not entered in the race, a
missing column or a duplicate bib refuses the whole file with the line that is wrong.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from p88.errors import InputError, UnknownRace
from p88.store.results.columns import FIELDS, norm

if TYPE_CHECKING:
    import psycopg

__all__ = ["load_entry_fields"]


def _field_name(header: str) -> str:
    return norm(header) or header.strip().lower()


def load_entry_fields(
    conn: psycopg.Connection[Any], race_id: int, path: Path, columns: Sequence[str]
) -> int:
    """Store ``columns`` of ``path`` for each bib of the race; returns the entries changed."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", what="file") from None
    if not rows:
        raise InputError(f"{path} is empty", what="file")
    headers = rows[0]
    bibs = [i for i, h in enumerate(headers) if norm(h) in FIELDS["bib"]]
    if not bibs:
        raise InputError(f"{path} has no bib column (columns: {', '.join(headers)})",
                         what="column")  # fmt: skip
    bib_col = bibs[0]
    wanted: dict[str, int] = {}
    for name in columns:
        found = [i for i, h in enumerate(headers) if norm(h) == norm(name)]
        if not found:
            raise InputError(f"{path} has no column {name!r} (columns: {', '.join(headers)})",
                             what="column", where="--column")  # fmt: skip
        wanted[_field_name(name)] = found[0]
    entries = dict(conn.execute(
        "SELECT bib, id FROM ct_results WHERE race_id = %s", (race_id,)
    ).fetchall())  # fmt: skip
    known = conn.execute("SELECT 1 FROM ct_races WHERE id = %s", (race_id,)).fetchone()
    if known is None:
        raise UnknownRace(race_id)
    updates: dict[int, dict[str, str]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        bib = row[bib_col].strip() if bib_col < len(row) else ""
        if bib not in entries:
            raise InputError(f"{path}:{line}: bib {bib!r} is not entered in race {race_id}",
                             what="bib", where=f"{path}:{line}")  # fmt: skip
        if entries[bib] in updates:
            raise InputError(f"{path}:{line}: bib {bib} appears twice", what="bib")
        updates[entries[bib]] = {
            name: row[i].strip() for name, i in wanted.items() if i < len(row) and row[i].strip()
        }
    with conn.transaction():
        for rid, values in updates.items():
            conn.execute(
                "UPDATE ct_results SET entry_fields = entry_fields || %s::jsonb WHERE id = %s",
                (json.dumps(values), rid),
            )
    return len(updates)
