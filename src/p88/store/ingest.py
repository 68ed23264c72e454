"""The exactly-once batched writer: every read stored once, whatever the input repeats.

``write_batch`` commits a list of ops (:mod:`p88.store.spool`) in ONE transaction: reads
are COPY'd into a temporary stage and moved with ``INSERT ... ON CONFLICT DO NOTHING`` on
the read identity (session, location, tag, time, reader, antenna), so a resent line, a
replayed file or a restarted client stores nothing twice. In the same transaction it
advances ``client_streams`` (the resume position of each client stream, so a position
never runs ahead of committed reads), adds the committed and duplicate counts to each
connection's ``connection_log`` row, stores gun events and rejects, and queues ONE
``NOTIFY p88_reads`` (:mod:`p88.store.live`). Batches are committed one after another by
one writer, so read ids grow in commit order, which ``serve``'s catch-up relies on.

:mod:`p88.fileimport` uses the same ``write_batch`` for files (``p88 import``);
:class:`p88.store.ingest_writer.IngestWriter` runs it on a thread for the listener, with
the spool behind it. Nothing here knows the CTP01 codec: ops come in already typed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from p88.store.live import ReadsCommitted, notify
from p88.store.spool import ConnectionRow, GunRow, Op, ReadRow, RejectRow, SessionInfo

__all__ = [
    "FIELD_LIMITS",
    "BatchResult",
    "SessionCache",
    "ensure_session",
    "find_partner",
    "oversize_field",
    "session_owner",
    "write_batch",
]

StreamKey = tuple[str, str, str]  # (session name, connection id, location)

_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS p88_stage (
    ord INTEGER, session_id INTEGER, location_name TEXT, tag_code TEXT,
    read_timestamp TIMESTAMP, lap_count INTEGER, reader_id TEXT, gator_number INTEGER,
    sequence_number BIGINT, connection_id TEXT, raw_data TEXT, received_at TIMESTAMPTZ,
    conn_key TEXT
) ON COMMIT DELETE ROWS
"""
_COPY = (
    "COPY p88_stage (ord, session_id, location_name, tag_code, read_timestamp, lap_count,"
    " reader_id, gator_number, sequence_number, connection_id, raw_data, received_at,"
    " conn_key) FROM STDIN"
)
_COPY_DIRECT = (
    "COPY timing_reads (session_id, location_id, sequence_number, location_name, tag_code,"
    " read_time, read_date, read_timestamp, lap_count, reader_id, gator_number, raw_data,"
    " connection_id, received_at) FROM STDIN (FORMAT BINARY)"
)
# Binary COPY needs each column's type; it formats a row in a tenth of the text format's
# time, and that time is spent holding the GIL the listener's event loop needs.
_DIRECT_TYPES = ["int4", "int4", "int4", "text", "text", "time", "date", "timestamp", "int4",
                 "text", "int4", "text", "text", "timestamptz"]  # fmt: skip
_LAST_ID = "SELECT currval(pg_get_serial_sequence('timing_reads', 'id'))"
_MOVE = """
WITH ins AS (
    INSERT INTO timing_reads (session_id, location_id, sequence_number, location_name, tag_code,
        read_time, read_date, read_timestamp, lap_count, reader_id, gator_number, raw_data,
        connection_id, received_at)
    SELECT s.session_id, l.id, s.sequence_number, s.location_name, s.tag_code,
        s.read_timestamp::time, s.read_timestamp::date, s.read_timestamp, s.lap_count,
        s.reader_id, s.gator_number, s.raw_data, s.connection_id, s.received_at
    FROM p88_stage s
    LEFT JOIN timing_locations l
        ON l.session_id = s.session_id AND l.location_name = s.location_name
    ORDER BY s.ord
    ON CONFLICT ON CONSTRAINT timing_reads_identity DO NOTHING
    RETURNING id
)
SELECT count(*), coalesce(min(id), 0), coalesce(max(id), 0) FROM ins
"""
# Only when a batch held duplicates: which stage rows became which new reads.
_ATTRIBUTE = """
SELECT conn_key, session_id, connection_id, location_name, count(*) FROM (
    SELECT DISTINCT ON (t.id) s.conn_key, s.session_id, s.connection_id, s.location_name
    FROM timing_reads t
    JOIN p88_stage s USING (session_id, location_name, tag_code, read_timestamp, reader_id,
        gator_number)
    WHERE t.id BETWEEN %s AND %s
    ORDER BY t.id, s.ord
) x
GROUP BY 1, 2, 3, 4
"""
# partner_id: the partner named by code or id (None when not given or unknown: the CLI
# checks it exists first). A session that already has a partner keeps it: a listener
# started with another --partner never moves one partner's reads into another's view.
_SESSION = """
INSERT INTO timing_sessions (session_name, event_name, event_id, event_description,
    session_date, timezone, partner_id)
VALUES (%s, %s, %s, %s, %s, %s,
    (SELECT id FROM timing_partners WHERE code = %s OR id::text = %s LIMIT 1))
ON CONFLICT (session_name) DO UPDATE SET
    partner_id = COALESCE(timing_sessions.partner_id, EXCLUDED.partner_id),
    event_name = COALESCE(EXCLUDED.event_name, timing_sessions.event_name),
    event_id = COALESCE(EXCLUDED.event_id, timing_sessions.event_id),
    event_description = COALESCE(EXCLUDED.event_description, timing_sessions.event_description),
    session_date = COALESCE(timing_sessions.session_date, EXCLUDED.session_date),
    timezone = COALESCE(timing_sessions.timezone, EXCLUDED.timezone),
    updated_at = now()
RETURNING id
"""
_STREAM = """
INSERT INTO client_streams (session_id, connection_id, location_name, last_sequence, read_count)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (session_id, connection_id, location_name) DO UPDATE SET
    last_sequence = GREATEST(client_streams.last_sequence, EXCLUDED.last_sequence),
    read_count = client_streams.read_count + EXCLUDED.read_count, updated_at = now()
"""
_CONNECTION = """
INSERT INTO connection_log (conn_key, client_ip, client_port, connected_at, disconnected_at,
    session_id, greeting, connection_id, session_info, message_count, close_reason)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (conn_key) DO UPDATE SET
    disconnected_at = COALESCE(EXCLUDED.disconnected_at, connection_log.disconnected_at),
    session_id = COALESCE(EXCLUDED.session_id, connection_log.session_id),
    greeting = COALESCE(EXCLUDED.greeting, connection_log.greeting),
    connection_id = COALESCE(EXCLUDED.connection_id, connection_log.connection_id),
    session_info = connection_log.session_info || EXCLUDED.session_info,
    message_count = GREATEST(connection_log.message_count, EXCLUDED.message_count),
    close_reason = COALESCE(EXCLUDED.close_reason, connection_log.close_reason)
"""
_COUNTS = """
UPDATE connection_log SET read_count = read_count + %s, duplicate_count = duplicate_count + %s,
    reject_count = reject_count + %s WHERE conn_key = %s
"""
_GUN = """
INSERT INTO timing_gun_events (session_id, location_name, gun_timestamp, reader_id,
    sequence_number, connection_id, raw_data, received_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT ON CONSTRAINT timing_gun_events_identity DO NOTHING
"""
_REJECT = """
INSERT INTO rejected_lines (session_id, connection_log_id, source, line_number, raw_line, reason,
    received_at)
VALUES (%s, (SELECT id FROM connection_log WHERE conn_key = %s), %s, %s, %s, %s, %s)
"""
_LOCATION = """
INSERT INTO timing_locations (session_id, location_name, reader_id) VALUES (%s, %s, %s)
ON CONFLICT DO NOTHING
"""
_LOCATION_ID = """
SELECT id FROM timing_locations WHERE session_id = %s AND location_name = %s
"""
_MARK = """
INSERT INTO listener_spool_marks (spool_id, drained_upto) VALUES (%s, %s)
ON CONFLICT (spool_id) DO UPDATE SET drained_upto = EXCLUDED.drained_upto, updated_at = now()
"""


@dataclass
class SessionCache:
    """Session ids by name and locations already known: saves a round trip per batch.
    Only updated after a commit, so a rolled-back batch leaves it truthful."""

    ids: dict[str, int] = field(default_factory=dict)
    locations: dict[tuple[int, str], int] = field(default_factory=dict)  # -> location id
    stage_ready: bool = False  # the temporary stage table exists on this connection


@dataclass
class BatchResult:
    """What one committed batch did."""

    reads: int = 0
    inserted: int = 0
    gun_events: int = 0
    rejects: int = 0
    max_id: int = 0
    session_ids: tuple[int, ...] = ()
    positions: dict[StreamKey, int] = field(default_factory=dict)
    inserted_by_location: dict[tuple[str, str], int] = field(default_factory=dict)
    #: per connection key: (reads stored, reads seen, lines rejected)
    by_conn: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    @property
    def duplicates(self) -> int:
        return self.reads - self.inserted


def _session_id(
    conn: psycopg.Connection[Any], cache: SessionCache, new: dict[str, int], info: SessionInfo
) -> int:
    known = new.get(info.name) or cache.ids.get(info.name)
    if known is not None and info == SessionInfo(info.name):
        return known
    row = conn.execute(
        _SESSION,
        (info.name, info.event_name, info.event_id, info.description, info.session_date,
         info.timezone, info.partner, info.partner),
    ).fetchone()  # fmt: skip
    assert row is not None
    new[info.name] = int(row[0])
    return int(row[0])


def write_batch(
    conn: psycopg.Connection[Any],
    ops: list[Op],
    cache: SessionCache,
    *,
    mark: tuple[str, int] | None = None,
) -> BatchResult:
    """Commit ``ops`` in one transaction (see the module docstring); return what happened.

    ``mark`` = (spool file id, last ordinal) records a spool drain in the same transaction.
    The connection must not be in autocommit mode; on error the transaction rolls back and
    the exception (e.g. ``psycopg.OperationalError`` for an outage) propagates.
    """
    batch = _Batch(conn, cache)
    with conn.transaction():
        batch.run(ops)
        tail = batch.tail()
        result = batch.result
        with conn.pipeline(), conn.cursor() as cur:  # one round trip for the bookkeeping
            for query, rows in tail:
                cur.executemany(query, rows)
            if mark is not None:
                cur.execute(_MARK, mark)
            if result.inserted:
                notify(conn, ReadsCommitted(result.session_ids, result.max_id, result.inserted))
    result.by_conn = {k: (c[0], c[1], c[2]) for k, c in batch.counts.items()}
    cache.ids.update(batch.new_ids)
    cache.locations.update(batch.new_locs)
    cache.stage_ready = cache.stage_ready or batch.staged
    return batch.result


class _Batch:
    """One transaction's work; its caches are merged by ``write_batch`` after the commit."""

    def __init__(self, conn: psycopg.Connection[Any], cache: SessionCache) -> None:
        self.conn = conn
        self.cache = cache
        self.result = BatchResult()
        self.new_ids: dict[str, int] = {}
        self.new_locs: dict[tuple[int, str], int] = {}
        self.counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # ins, seen, rej
        self.stream_ins: dict[StreamKey, int] = defaultdict(int)
        self.staged = False

    def sid(self, name: str) -> int:
        return _session_id(self.conn, self.cache, self.new_ids, SessionInfo(name))

    def run(self, ops: list[Op]) -> None:
        conn = self.conn
        for op in ops:
            if isinstance(op, SessionInfo):
                _session_id(conn, self.cache, self.new_ids, op)
            elif isinstance(op, ConnectionRow):
                sid = self.sid(op.session) if op.session else None
                conn.execute(
                    _CONNECTION,
                    (op.conn_key, op.peer_ip, op.peer_port, op.connected_at, op.disconnected_at,
                     sid, op.greeting, op.connection_id, Jsonb(op.info), op.message_count,
                     op.close_reason),
                )  # fmt: skip
        reads = [op for op in ops if isinstance(op, ReadRow)]
        if reads:
            self.reads(reads)
        for op in ops:
            if isinstance(op, GunRow):
                cur = conn.execute(
                    _GUN,
                    (self.sid(op.session), op.location, op.timestamp, op.reader, op.seq,
                     op.connection_id, op.raw, op.received_at),
                )  # fmt: skip
                self.result.gun_events += cur.rowcount
                self.position(op.session, op.connection_id, op.location, op.seq)
            elif isinstance(op, RejectRow):
                sid = self.sid(op.session) if op.session else None
                conn.execute(
                    _REJECT,
                    (sid, op.conn_key, op.source, op.line_number, op.raw, op.reason,
                     op.received_at),
                )  # fmt: skip
                self.result.rejects += 1
                if op.conn_key:
                    self.counts[op.conn_key][2] += 1

    def tail(self) -> list[tuple[str, list[tuple[Any, ...]]]]:
        """The stream-position and connection-count statements that close the batch."""
        out: list[tuple[str, list[tuple[Any, ...]]]] = []
        if self.result.positions:
            rows = [
                (self.sid(s), cid, loc, seq, self.stream_ins.get((s, cid, loc), 0))
                for (s, cid, loc), seq in self.result.positions.items()
            ]
            out.append((_STREAM, rows))
        if self.counts:
            out.append((_COUNTS, [(c[0], c[1] - c[0], c[2], k) for k, c in self.counts.items()]))
        return out

    def position(self, session: str, connection_id: str | None, loc: str, seq: int | None) -> None:
        if connection_id and seq is not None:
            key = (session, connection_id, loc)
            self.result.positions[key] = max(self.result.positions.get(key, 0), seq)

    def reads(self, reads: list[ReadRow]) -> None:
        """Store the batch's reads. Fast path: one COPY straight into ``timing_reads`` under
        a savepoint, the bulk-load speed, right whenever nothing in the batch is stored
        already (a live stream). A duplicate anywhere aborts it (the identity key) and the
        batch goes the careful way: COPY into the stage, ``INSERT ... ON CONFLICT DO
        NOTHING``, and attribute what was new to its connection."""
        conn, result = self.conn, self.result
        sids = {name: self.sid(name) for name in {r.session for r in reads}}
        loc_ids = self.location_ids(reads, sids)
        with conn.cursor() as cur:
            try:
                with conn.transaction(), cur.copy(_COPY_DIRECT) as copy:
                    copy.set_types(_DIRECT_TYPES)
                    for r in reads:
                        sid, ts = sids[r.session], r.timestamp
                        copy.write_row(
                            (sid, loc_ids[(sid, r.location)], r.seq, r.location, r.tag,
                             ts.time(), ts.date(), ts, r.lap, r.reader, r.gator, r.raw,
                             r.connection_id, r.received_at)
                        )  # fmt: skip
                    staged = made = self.tally(reads)  # while PostgreSQL works through the rows
                row = cur.execute(_LAST_ID).fetchone()
                assert row is not None
                inserted, high = len(reads), int(row[0])
            except psycopg.errors.UniqueViolation:
                staged = self.tally(reads)
                inserted, high, made = self.careful(cur, reads, sids, staged)
        result.inserted += inserted
        result.max_id = max(result.max_id, high)
        for (conn_key, session, connection_id, location), n in made.items():
            by_loc = result.inserted_by_location
            by_loc[(session, location)] = by_loc.get((session, location), 0) + n
            if conn_key:
                self.counts[conn_key][0] += n
            if connection_id:
                self.stream_ins[(session, connection_id, location)] += n
        for (conn_key, _, _, _), n in staged.items():
            if conn_key:
                self.counts[conn_key][1] += n
        result.reads = len(reads)
        result.session_ids = tuple(sorted(set(sids.values())))

    def tally(self, reads: list[ReadRow]) -> dict[tuple[str | None, str, str | None, str], int]:
        """Reads per (connection, session, client stream, location); advances the batch's
        resume positions (a max, so tallying twice changes nothing)."""
        staged: dict[tuple[str | None, str, str | None, str], int] = defaultdict(int)
        positions = self.result.positions
        for r in reads:
            staged[(r.conn_key, r.session, r.connection_id, r.location)] += 1
            if r.connection_id and r.seq is not None:
                key = (r.session, r.connection_id, r.location)
                if r.seq > positions.get(key, 0):
                    positions[key] = r.seq
        return staged

    def location_ids(
        self, reads: list[ReadRow], sids: dict[str, int]
    ) -> dict[tuple[int, str], int]:
        """``timing_locations`` ids for the batch's locations, creating the new ones."""
        known = {**self.cache.locations, **self.new_locs}
        wanted = {(sids[r.session], r.location): r.reader for r in reads}
        missing = [(s, loc, rd) for (s, loc), rd in wanted.items() if (s, loc) not in known]
        if missing:
            with self.conn.cursor() as cur:
                cur.executemany(_LOCATION, missing)
                for s, loc, _ in missing:
                    row = cur.execute(_LOCATION_ID, (s, loc)).fetchone()
                    assert row is not None
                    self.new_locs[(s, loc)] = known[(s, loc)] = int(row[0])
        return known

    def careful(
        self,
        cur: psycopg.Cursor[Any],
        reads: list[ReadRow],
        sids: dict[str, int],
        staged: dict[tuple[str | None, str, str | None, str], int],
    ) -> tuple[int, int, dict[tuple[str | None, str, str | None, str], int]]:
        """Stage, insert what is new, and say which connection each new read came from."""
        if not self.cache.stage_ready and not self.staged:
            cur.execute(_STAGE)
            self.staged = True
        with cur.copy(_COPY) as copy:
            for i, r in enumerate(reads):
                copy.write_row(
                    (i, sids[r.session], r.location, r.tag, r.timestamp, r.lap, r.reader,
                     r.gator, r.seq, r.connection_id, r.raw, r.received_at, r.conn_key)
                )  # fmt: skip
        row = cur.execute(_MOVE).fetchone()
        assert row is not None
        inserted, low, high = int(row[0]), int(row[1]), int(row[2])
        if inserted == len(reads):
            return inserted, high, staged
        made: dict[tuple[str | None, str, str | None, str], int] = defaultdict(int)
        if inserted:
            names = {v: k for k, v in sids.items()}
            for conn_key, sid, cid, loc, n in cur.execute(_ATTRIBUTE, (low, high)):
                made[(conn_key, names[sid], cid, loc)] += n
        return inserted, high, made


#: Column widths of timing_reads: a longer field is a reject, never a failed batch.
FIELD_LIMITS = {"location": 100, "tag": 16, "reader": 16}


def oversize_field(location: str, tag: str, reader: str) -> str | None:
    """Why a read's fields cannot be stored (one wider than its column), or None."""
    for name, value in (("location", location), ("tag", tag), ("reader", reader)):
        limit = FIELD_LIMITS[name]
        if len(value) > limit:
            return f"{name} longer than {limit} characters: {value[:40]!r}"
    return None


def find_partner(conn: psycopg.Connection[Any], partner: str) -> int | None:
    """The id of the timing partner with this code (or this numeric id); ``None`` if none.
    The same lookup the session upsert makes, so a check before a run agrees with it."""
    row = conn.execute(
        "SELECT id FROM timing_partners WHERE code = %s OR id::text = %s LIMIT 1",
        (partner, partner),
    ).fetchone()
    return int(row[0]) if row else None


def session_owner(conn: psycopg.Connection[Any], session: str) -> int | None:
    """The partner id that owns the session named ``session`` (``None``: no such session,
    or it has no partner yet)."""
    row = conn.execute(
        "SELECT partner_id FROM timing_sessions WHERE session_name = %s", (session,)
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def ensure_session(conn: psycopg.Connection[Any], cache: SessionCache, info: SessionInfo) -> int:
    """Create (or update from ``info``) a session in its own transaction; its id."""
    new: dict[str, int] = {}
    with conn.transaction():
        sid = _session_id(conn, cache, new, info)
    cache.ids.update(new)
    return sid
