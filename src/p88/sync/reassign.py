"""Bib and chip changes from a registration system, applied to existing entries and audited.

Entries are keyed by (race, bib), so a bib that changes after the first import must be
renamed on the entry itself before the importer's writer runs; otherwise the writer
would create a second entry under the new bib. Renames run in two steps through a
temporary bib, so two runners who swap bibs in one pull are both applied. A new bib
still held by an entry that is not moving away is a conflict: nothing is applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from p88.sync.errors import SyncError
from p88.sync.state import Change, record_changes

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Move:
    """An entry's bib and/or chip as the registration system now has them."""

    result_id: int
    registration_id: int | None
    old_bib: str
    new_bib: str
    old_chip: str | None
    new_chip: str | None


def apply_moves(
    conn: psycopg.Connection[Any], race_id: int, moves: list[Move], source: str
) -> list[Change]:
    """Rename bibs and set chips of ``moves`` in the race; records and returns the changes.

    Runs inside the caller's transaction.
    """
    renames = [m for m in moves if m.new_bib != m.old_bib]
    moving = {m.result_id for m in renames}
    targets: dict[str, int] = {}
    for m in renames:
        if m.new_bib in targets:
            raise SyncError(
                f"bib {m.new_bib} would go to two entries in race {race_id}",
                hint="fix the bib assignment in the registration system",
            )
        targets[m.new_bib] = m.result_id
    if targets:
        holders = conn.execute(
            "SELECT bib, id FROM ct_results WHERE race_id = %s AND bib = ANY(%s)",
            (race_id, list(targets)),
        ).fetchall()
        taken = sorted(bib for bib, rid in holders if rid not in moving)
        if taken:
            raise SyncError(
                f"bib(s) {', '.join(taken[:10])} already belong to other entries in race "
                f"{race_id}; no bib or chip changed",
                hint="reassign those bibs first (in the registration system or the import)",
            )
        ids = [m.result_id for m in renames]
        conn.execute(
            "UPDATE ct_results SET bib = '#' || id::text WHERE race_id = %s AND id = ANY(%s)",
            (race_id, ids),
        )
        conn.execute(
            "UPDATE ct_results r SET bib = m.bib, updated_at = now() "
            "FROM unnest(%s::bigint[], %s::text[]) AS m(id, bib) "
            "WHERE r.race_id = %s AND r.id = m.id",
            (ids, [m.new_bib for m in renames], race_id),
        )
    rechip = [m for m in moves if m.new_chip != m.old_chip]
    if rechip:
        conn.execute(
            "UPDATE ct_results r SET tag_code = m.tag, updated_at = now() "
            "FROM unnest(%s::bigint[], %s::text[]) AS m(id, tag) "
            "WHERE r.race_id = %s AND r.id = m.id",
            ([m.result_id for m in rechip], [m.new_chip for m in rechip], race_id),
        )
    changes = [Change(m.result_id, m.registration_id, "bib", m.old_bib, m.new_bib) for m in renames]
    changes += [
        Change(m.result_id, m.registration_id, "chip", m.old_chip, m.new_chip) for m in rechip
    ]
    record_changes(conn, race_id, source, changes)
    return changes
