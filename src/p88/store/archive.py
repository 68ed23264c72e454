"""Moving old reads to ``timing_reads_archive`` without losing, doubling or stalling any.

Reads move in bounded batches, one short transaction each: a batch locks only the old
rows it moves (``FOR UPDATE SKIP LOCKED``), so the listener's inserts of new reads never
wait on it for more than a moment. Delete and insert happen in one statement, so a read
is always in exactly one of the two tables; a read already in the archive is not copied
twice (the archive carries the same identity constraint).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from p88.errors import InputError, StoreError
from p88.units import parse_duration

if TYPE_CHECKING:
    import psycopg

DEFAULT_BATCH = 5_000

_COLUMNS = (
    "id, session_id, location_id, sequence_number, location_name, tag_code, read_time, "
    "read_date, read_timestamp, lap_count, reader_id, gator_number, raw_data, processed_at, "
    "connection_id, received_at"
)

_MOVE = f"""
WITH batch AS (
    SELECT id FROM timing_reads
    WHERE read_timestamp < %(cutoff)s
    ORDER BY read_timestamp
    LIMIT %(batch)s
    FOR UPDATE SKIP LOCKED
), moved AS (
    DELETE FROM timing_reads r USING batch b WHERE r.id = b.id RETURNING r.*
), kept AS (
    INSERT INTO timing_reads_archive ({_COLUMNS}, archived_at)
    SELECT {_COLUMNS}, CURRENT_TIMESTAMP FROM moved
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM kept)
"""


@dataclass(frozen=True)
class ArchiveResult:
    """What an archive run did (or, with ``dry_run``, would do)."""

    cutoff: datetime
    eligible: int
    moved: int
    already_archived: int
    batches: int
    dry_run: bool


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h``, ``2w``, ``90m`` as a timedelta; anything else is a user error."""
    try:
        return parse_duration(text, where="--older-than")
    except InputError:
        raise InputError(
            f"cannot read age {text!r}",
            what="age",
            where="--older-than",
            hint="use a number and a unit: 30d, 12h, 2w, 90m",
        ) from None


def count_older(conn: psycopg.Connection[Any], cutoff: datetime) -> int:
    row = conn.execute(
        "SELECT count(*) FROM timing_reads WHERE read_timestamp < %s", (cutoff,)
    ).fetchone()
    return int(row[0]) if row else 0


def archive_reads(
    conn: psycopg.Connection[Any],
    cutoff: datetime,
    *,
    batch_size: int = DEFAULT_BATCH,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ArchiveResult:
    """Move every read with ``read_timestamp < cutoff`` to the archive, batch by batch.

    ``conn`` must be in autocommit mode (each batch commits on its own). ``progress`` is
    called with (moved so far, eligible at start). The run is logged in ``connection_log``
    as the seed's ``archive_old_timing_data()`` did.
    """
    if not conn.autocommit:
        raise StoreError("archive needs an autocommit connection")
    if batch_size < 1:
        raise InputError("batch size must be at least 1", what="batch size", where="--batch-size")
    eligible = count_older(conn, cutoff)
    if dry_run:
        return ArchiveResult(cutoff, eligible, 0, 0, 0, True)
    moved = duplicates = batches = 0
    while True:
        with conn.transaction():
            row = conn.execute(_MOVE, {"cutoff": cutoff, "batch": batch_size}).fetchone()
        deleted, kept = (int(row[0]), int(row[1])) if row else (0, 0)
        if deleted == 0:
            break
        batches += 1
        moved += kept
        duplicates += deleted - kept
        if progress:
            progress(moved + duplicates, eligible)
    conn.execute(
        "INSERT INTO connection_log (client_ip, session_info, message_count) "
        "VALUES ('127.0.0.1'::INET, jsonb_build_object('action', 'archive', "
        "'archived_count', %s::int, 'cutoff', %s::text, 'batches', %s::int), %s)",
        (moved, cutoff.isoformat(), batches, moved),
    )
    return ArchiveResult(cutoff, eligible, moved, duplicates, batches, False)
