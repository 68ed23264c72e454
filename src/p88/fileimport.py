"""``p88 import`` as a library: CT01 lines from a file (protocol's codec) into the store's
exactly-once writer.

Like :mod:`p88.listener`, this is a join at the package root: ``protocol`` parses and
places times on the session's date, ``store`` writes, and neither imports the other.
:func:`import_lines` runs the same :func:`p88.store.ingest.write_batch` the listener uses,
so importing a file twice, or a file the listener already received live, adds nothing.

A file with no valid data line is an error (:class:`p88.errors.InputError`) and leaves
nothing behind: no session, no rejects. Rejected lines before the first valid one are
held until it comes, then written with it.

>>> # with connect(url) as conn:
>>> #     import_lines(conn, SessionInfo("rehearsal"), lines, source="f.ct33")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from p88.errors import InputError, ProtocolError
from p88.protocol.codec import DataLine, GunTime, NewLocation, Read, parse_line
from p88.protocol.times import WallClock
from p88.store import (
    BatchResult,
    GunRow,
    Op,
    ReadRow,
    RejectRow,
    SessionCache,
    SessionInfo,
    ensure_session,
    oversize_field,
    write_batch,
)

__all__ = ["ImportResult", "import_lines", "import_reads"]


@dataclass
class ImportResult:
    """Totals of an import: lines seen, reads stored, duplicates skipped, gun events, rejects."""

    session_id: int = 0
    lines: int = 0
    inserted: int = 0
    duplicates: int = 0
    gun_events: int = 0
    rejects: int = 0

    def add(self, batch: BatchResult) -> None:
        self.inserted += batch.inserted
        self.duplicates += batch.duplicates
        self.gun_events += batch.gun_events
        self.rejects += batch.rejects


def _to_op(
    msg: DataLine, session: str, clock: WallClock, connection_id: str | None, now: datetime
) -> Op | None:
    raw = msg.raw.decode("utf-8", "replace")
    if isinstance(msg, NewLocation):
        return None
    when = clock.resolve(msg.time)
    if isinstance(msg, GunTime):
        return GunRow(session, msg.location, when, msg.reader, msg.seq, connection_id, raw, now)
    return ReadRow(
        session, msg.location, msg.tag, when, msg.lap, msg.reader, msg.gator, msg.seq,
        connection_id, raw, now,
    )  # fmt: skip


def _line_op(
    item: bytes, number: int, session: SessionInfo, clock: WallClock, source: str,
    connection_id: str | None, now: datetime,
) -> tuple[Op | None, bool]:  # fmt: skip
    """One raw line as an op, and whether it was a valid data line."""
    try:
        msg = parse_line(item)
    except ProtocolError as exc:
        return RejectRow(source, exc.raw, exc.message, now, session.name, None, number), False
    raw = item.rstrip(b"\r\n")
    if not isinstance(msg, DataLine):
        reason = f"not a data line ({type(msg).__name__})"
        return RejectRow(source, raw, reason, now, session.name, None, number), False
    too_wide = oversize_field(msg.location, msg.tag, msg.reader)
    if too_wide is not None:
        return RejectRow(source, raw, too_wide, now, session.name, None, number), False
    return _to_op(msg, session.name, clock, connection_id, now), True


def import_lines(
    conn: psycopg.Connection[Any],
    session: SessionInfo,
    lines: Iterable[bytes | DataLine],
    *,
    source: str = "import",
    connection_id: str | None = None,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
    anchor: datetime | None = None,
) -> ImportResult:
    """Store CT01 lines (raw bytes or already parsed) in ``session``, exactly once.

    This is ``p88 import``'s library call (and the one to use for any file load). Raw
    lines that do not parse are stored in ``rejected_lines`` with ``source`` and their
    1-based line number; ``newlocation`` lines are skipped; gun-time lines become gun
    events. ``session.session_date`` and ``session.timezone`` place dateless times,
    rolling over midnight from ``anchor`` (the race's start, when the date is the race's)
    and then from each previous read; without a date a dateless time raises InputError
    naming ``--date`` (a date is never guessed). ``progress`` is called with the number
    of lines consumed after each batch. Raises ``InputError`` (and writes nothing, not
    even the session) when no line is a valid data line.

    ``conn`` must not be in autocommit mode (each batch is its own transaction).
    """
    clock = WallClock(session.session_date, session.timezone, anchor=anchor)
    cache = SessionCache()
    result = ImportResult()
    pending: list[Op] = []
    valid = False
    first_problem = ""
    now = datetime.now(UTC)
    for number, item in enumerate(lines, start=1):
        result.lines += 1
        op: Op | None
        if isinstance(item, bytes):
            op, ok = _line_op(item, number, session, clock, source, connection_id, now)
            if not ok and not first_problem and isinstance(op, RejectRow):
                first_problem = f"line {number}: {op.reason}"
        else:
            op, ok = _to_op(item, session.name, clock, connection_id, now), True
        if ok and not valid:
            valid = True
            result.session_id = ensure_session(conn, cache, session)
        if op is not None:
            pending.append(op)
        if valid and len(pending) >= batch_size:
            result.add(write_batch(conn, pending, cache))
            pending = []
            if progress:
                progress(result.lines)
    if not valid:
        raise InputError(
            f"{source}: no valid CT01 data line in {result.lines:,} line(s); nothing imported"
            + (f" (first problem, {first_problem})" if first_problem else ""),
            what="file", where=source,
        )  # fmt: skip
    if pending:
        result.add(write_batch(conn, pending, cache))
    if progress:
        progress(result.lines)
    return result


def import_reads(
    conn: psycopg.Connection[Any],
    session: SessionInfo,
    reads: Iterable[Read | GunTime | NewLocation],
    **kwargs: Any,
) -> ImportResult:
    """Store already-parsed reads (from :func:`p88.protocol.parse_line`) exactly once;
    same contract and keywords as :func:`import_lines`."""
    return import_lines(conn, session, reads, **kwargs)
