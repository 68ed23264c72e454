"""Display messages and VIP flags (migration 018): set from a file, a participants file or
one at a time, while the race runs.

The runner display reads them again for every crossing
(:func:`p88.store.queries.crossings.crossings`), so a message changed here shows on the
screen for that runner's next crossing. A file is all or nothing: every row is checked
before anything is written, and a bad row names its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg import sql

from p88.errors import InputError
from p88.store.results.columns import FIELDS, CellError, norm, parse_message, parse_vip
from p88.store.results.importer import ImportRejected, RowError, _read_csv

if TYPE_CHECKING:
    import psycopg

_BIB, _MESSAGE, _VIP = FIELDS["bib"], FIELDS["message"], FIELDS["vip"]
SCOPES = ("division", "point")

_UPSERT = sql.SQL(
    "INSERT INTO ct_display_messages AS m (race_id, event_id, partner_id, bib, message, vip)"
    " SELECT r.id, r.event_id, r.partner_id, %(bib)s, %(message)s, coalesce(%(vip)s, false)"
    " FROM ct_races r WHERE r.id = %(race)s"
    " ON CONFLICT (race_id, bib) DO UPDATE SET"
    " message = CASE WHEN %(keep_message)s THEN m.message ELSE EXCLUDED.message END,"
    " vip = coalesce(%(vip)s, m.vip), updated_at = now()"
)


@dataclass(frozen=True)
class MessagesSummary:
    """What an import wrote: rows, and the bibs that have no entry in the race (yet)."""

    race_id: int
    rows: int
    vip: int
    not_entered: list[str]


def _check_race(conn: psycopg.Connection[Any], race_id: int) -> None:
    if conn.execute("SELECT 1 FROM ct_races WHERE id = %s", (race_id,)).fetchone() is None:
        raise InputError(
            f"no race {race_id}",
            hint="p88 results new-race creates a race and prints its id",
            what="race",
            where="--race",
        )


def save_messages(conn: psycopg.Connection[Any], race_id: int, rows: list[dict[str, Any]]) -> None:
    """Upsert ``rows`` (``bib``, ``message`` and/or ``vip``; a key absent keeps what was
    stored) for one race, in the caller's transaction."""
    with conn.cursor() as cur:
        cur.executemany(
            _UPSERT,
            [
                {
                    "race": race_id,
                    "bib": r["bib"],
                    "message": r.get("message"),
                    "keep_message": "message" not in r,
                    "vip": r.get("vip"),
                }
                for r in rows
            ],
        )


def import_messages(conn: psycopg.Connection[Any], path: Path, race_id: int) -> MessagesSummary:
    """Import a ``bib,message[,vip]`` CSV into one race's display messages (see module)."""
    _check_race(conn, race_id)
    headers, body = _read_csv(path)
    names = [norm(h) for h in headers]
    bib_col = next((i for i, n in enumerate(names) if n in _BIB), None)
    msg_col = next((i for i, n in enumerate(names) if n in _MESSAGE), None)
    vip_col = next((i for i, n in enumerate(names) if n in _VIP), None)
    if bib_col is None or (msg_col is None and vip_col is None):
        raise InputError(
            f"{path.name} needs a bib column and a message (or VIP) column "
            f"(found: {', '.join(h for h in headers if h.strip()) or 'none'})",
            what="file header",
            where=str(path),
            hint="the first line names the columns, e.g. bib,message",
        )
    rows: list[dict[str, Any]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, cells in body:

        def cell(i: int | None, cells: list[str] = cells) -> str:
            return cells[i].strip() if i is not None and i < len(cells) else ""

        bib = cell(bib_col)
        try:
            if not bib or len(bib) > 16:
                raise CellError("no bib" if not bib else f"bib {bib!r} is over 16 characters")
            if bib in seen:
                raise CellError(f"bib {bib} already on line {seen[bib]}")
            row: dict[str, Any] = {"bib": bib}
            if msg_col is not None:
                row["message"] = parse_message(cell(msg_col))
            if vip_col is not None:
                row["vip"] = parse_vip(cell(vip_col))
        except CellError as exc:
            errors.append(RowError(line, "bib" if "bib" in str(exc) else None, str(exc)))
            continue
        seen[bib] = line
        rows.append(row)
    if errors:
        raise ImportRejected(path, errors)
    if not rows:
        raise InputError(f"{path.name} has no rows to import", what="file", where=str(path))
    with conn.transaction():
        save_messages(conn, race_id, rows)
    entered = {
        r[0]
        for r in conn.execute(
            "SELECT bib FROM ct_results WHERE race_id = %s AND bib = ANY(%s)",
            (race_id, [r["bib"] for r in rows]),
        ).fetchall()
    }
    return MessagesSummary(
        race_id,
        len(rows),
        sum(1 for r in rows if r.get("vip")),
        sorted(r["bib"] for r in rows if r["bib"] not in entered),
    )


def set_default_message(
    conn: psycopg.Connection[Any], race_id: int, scope: str, key: str, message: str | None
) -> None:
    """The message of a division's (``scope`` 'division', key like 'F35-39') or a point's
    runners without their own; ``None`` removes it."""
    if scope not in SCOPES:
        raise InputError(f"scope must be division or point, not {scope!r}", what="scope")
    _check_race(conn, race_id)
    try:
        text = parse_message(message)
    except CellError as exc:
        raise InputError(str(exc), what="message") from None
    with conn.transaction():
        conn.execute(
            "DELETE FROM ct_display_defaults WHERE race_id = %s AND scope = %s AND key = %s",
            (race_id, scope, key),
        )
        if text is not None:
            conn.execute(
                "INSERT INTO ct_display_defaults (race_id, event_id, partner_id, scope, key,"
                " message) SELECT id, event_id, partner_id, %s, %s, %s FROM ct_races"
                " WHERE id = %s",
                (scope, key, text, race_id),
            )
