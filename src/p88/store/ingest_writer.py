"""The listener's single writer: batches ops on a thread, spools them through an outage.

One thread owns one PostgreSQL connection and commits batches one after another with
:func:`p88.store.ingest.write_batch` (so read ids grow in commit order). A batch closes
at ``batch_size`` ops or ``linger`` seconds after its first op; when more than a batch is
already waiting in the queue (a burst the database is behind on), it takes up to
``BACKLOG_BATCHES`` x ``batch_size`` ops, so the fixed cost of a batch (round trips,
commit, the statement-level totals triggers) is paid less often while catching up.
If the database is away, the batch goes to the fsync'd :class:`~p88.store.spool.Spool`
instead and every later batch follows it there, in order, until a retry finds the server
again; then the spool drains (exactly once, see spool.py) before anything new is written.
One outage is one spool file, however many retries fail during it, and one drain is one
log line. ``start()`` drains a spool left by an earlier run first; once the database is
reached with the spool empty, the ``connection_log`` rows an earlier run of the same
listener left open (``listener_key``: it was killed) are closed.

Per connection (``track``), the writer counts what it committed, and ``summary`` answers
(after everything submitted before it) how many of its reads were stored, were
duplicates, and how many of its lines were rejected.

Resume positions (:meth:`IngestWriter.positions`) are answered on the same thread, after
every op submitted before the question was committed or spooled: from ``client_streams``
when the database is up, merged with what this process made durable itself.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from p88.store.ingest import BatchResult, SessionCache, write_batch
from p88.store.listener_state import close_dangling_connections
from p88.store.migrations import migrate
from p88.store.spool import GunRow, Op, ReadRow, Spool

__all__ = ["IngestWriter", "WriterStats"]

log = logging.getLogger("p88.listen.writer")
_OUTAGE = (psycopg.OperationalError, psycopg.InterfaceError)
#: Under a backlog a batch grows to this many times ``batch_size`` (see the docstring).
BACKLOG_BATCHES = 16
_POSITIONS = """
SELECT cs.location_name, cs.last_sequence FROM client_streams cs
JOIN timing_sessions s ON s.id = cs.session_id
WHERE s.session_name = %s AND cs.connection_id = %s
"""


@dataclass
class _Lookup:
    session: str
    connection_id: str
    future: Future[dict[str, int]]


@dataclass
class _Summary:
    conn_key: str
    future: Future[tuple[int, int, int]]


@dataclass
class WriterStats:
    """Running totals, read by the status display (plain ints: safe to read racily)."""

    committed: int = 0
    duplicates: int = 0
    gun_events: int = 0
    rejects: int = 0
    batches: int = 0
    db_up: bool = True
    last_error: str = ""
    by_location: dict[tuple[str, str], int] = field(default_factory=dict)


class IngestWriter:
    """Thread-backed batched writer; ``submit`` never blocks the event loop."""

    def __init__(
        self,
        url: str,
        spool_dir: Path,
        *,
        batch_size: int = 1000,
        linger: float = 0.005,
        retry_interval: float = 1.0,
        on_commit: Callable[[BatchResult], None] | None = None,
    ) -> None:
        self.url = url
        self.spool = Spool(spool_dir)
        self.failed = Spool(spool_dir, prefix="failed")
        self.batch_size = batch_size
        self.linger = linger
        self.retry_interval = retry_interval
        self.on_commit = on_commit
        self.stats = WriterStats()
        self._queue: queue.SimpleQueue[Op | _Lookup | _Summary | None] = queue.SimpleQueue()
        self._conn: psycopg.Connection[Any] | None = None
        self._cache = SessionCache()
        self._durable: dict[tuple[str, str, str], int] = {}
        self._next_retry = 0.0
        self._migrated = False
        self._stopping = False
        self.listener_key: str | None = None  # set before start() to close dangling rows
        self.started_at = datetime.now(UTC)
        self._settled = False
        self._tracked: dict[str, list[int]] = {}  # conn_key -> [stored, duplicates, rejected]
        self._thread = threading.Thread(target=self._run, name="p88-writer", daemon=True)

    @property
    def backlog(self) -> int:
        """Ops in the spool, waiting for the database."""
        return self.spool.backlog

    @property
    def queued(self) -> int:
        """Ops submitted and not yet taken by the writer thread."""
        return self._queue.qsize()

    def start(self) -> None:
        """Drain what an earlier run left in the spool (if the database is up), close what
        it left open, then run."""
        if self._connect(force=True):
            if self.spool.backlog:
                self._drain()
            self._settle()
        self._thread.start()

    def submit(self, op: Op) -> None:
        self._queue.put(op)

    def positions(self, session: str, connection_id: str) -> Future[dict[str, int]]:
        """Future of {location: last committed (or spooled) seq} for a client stream."""
        future: Future[dict[str, int]] = Future()
        self._queue.put(_Lookup(session, connection_id, future))
        return future

    def track(self, conn_key: str) -> None:
        """Count what gets committed for this connection, until its ``summary``."""
        self._tracked[conn_key] = [0, 0, 0]

    def summary(self, conn_key: str) -> Future[tuple[int, int, int]]:
        """Future of (reads stored, duplicates, lines rejected) committed for a tracked
        connection, once everything submitted before this call is written or spooled."""
        future: Future[tuple[int, int, int]] = Future()
        self._queue.put(_Summary(conn_key, future))
        return future

    def stop(self, timeout: float = 30.0) -> None:
        """Write everything submitted so far (or spool it), then end the thread."""
        self._queue.put(None)
        self._thread.join(timeout)
        if self._conn is not None:
            self._conn.close()

    # --- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping:
            try:
                self._step()
            except Exception:  # the writer must outlive any one bad batch: log and go on
                log.exception("writer error; continuing")
        if self.spool.backlog:
            self._retry(force=True)

    def _step(self) -> None:
        """Take one batch off the queue and write (or spool) it, answering lookups in order."""
        timeout = self.retry_interval if self.spool.backlog else None
        try:
            first = self._queue.get(timeout=timeout)
        except queue.Empty:
            self._retry()
            return
        items = [first]
        deadline = time.monotonic() + self.linger
        limit = self.batch_size
        if self._queue.qsize() >= limit:  # catching up: fewer, larger transactions
            limit *= BACKLOG_BATCHES
        while len(items) < limit and items[-1] is not None:
            wait = deadline - time.monotonic()
            try:
                items.append(
                    self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                )
            except queue.Empty:
                break
        ops: list[Op] = []
        for item in items:
            if item is None:
                self._stopping = True
            elif isinstance(item, _Lookup):
                self._flush(ops)
                ops = []
                self._answer(item)
            elif isinstance(item, _Summary):
                self._flush(ops)
                ops = []
                counts = self._tracked.pop(item.conn_key, [0, 0, 0])
                item.future.set_result((counts[0], counts[1], counts[2]))
            else:
                ops.append(item)
        self._flush(ops)

    def _flush(self, ops: list[Op]) -> None:
        if not ops:
            return
        if self.spool.backlog:
            self._retry()
        if not self.spool.backlog and self._connect():
            if not self._settled:
                self._settle()
            try:
                self._write(ops)
                return
            except _OUTAGE as exc:
                self._down(exc)
            except Exception:
                # A bug, not the database: keep the ops on disk beside the spool so no read
                # is lost, and let _run log it.
                self.failed.append(ops)
                raise
        self.spool.append(ops)
        for op in ops:
            if isinstance(op, ReadRow | GunRow) and op.connection_id and op.seq is not None:
                key = (op.session, op.connection_id, op.location)
                self._durable[key] = max(self._durable.get(key, 0), op.seq)

    def _committed(self, result: BatchResult) -> None:
        s = self.stats
        s.committed += result.inserted
        s.duplicates += result.duplicates
        s.gun_events += result.gun_events
        s.rejects += result.rejects
        s.batches += 1
        for loc_key, n in result.inserted_by_location.items():
            s.by_location[loc_key] = s.by_location.get(loc_key, 0) + n
        for key, seq in result.positions.items():
            self._durable[key] = max(self._durable.get(key, 0), seq)
        for conn_key, (stored, seen, rejected) in result.by_conn.items():
            counts = self._tracked.get(conn_key)
            if counts is not None:
                counts[0] += stored
                counts[1] += seen - stored
                counts[2] += rejected
        if self.on_commit is not None:
            self.on_commit(result)

    def _answer(self, lookup: _Lookup) -> None:
        found: dict[str, int] = {}
        if not self.spool.backlog and self._connect():
            try:
                with self._require().transaction():
                    rows = (
                        self._require()
                        .execute(_POSITIONS, (lookup.session, lookup.connection_id))
                        .fetchall()
                    )
                found = {str(loc): int(seq) for loc, seq in rows}
            except _OUTAGE as exc:
                self._down(exc)
        for (session, cid, loc), seq in self._durable.items():
            if session == lookup.session and cid == lookup.connection_id:
                found[loc] = max(found.get(loc, 0), seq)
        lookup.future.set_result(found)

    def _retry(self, force: bool = False) -> None:
        if not force and time.monotonic() < self._next_retry:
            return
        if self._connect(force):
            self._drain()
            self._settle()

    def _settle(self) -> None:
        """Once per run, with the database reached and the spool empty: close the
        ``connection_log`` rows an earlier run of this listener left open."""
        if self._settled or self.listener_key is None or self.spool.backlog:
            return
        conn = self._require()
        try:
            with conn.transaction():
                closed = close_dangling_connections(conn, self.listener_key, self.started_at)
        except _OUTAGE as exc:
            self._down(exc)
            return
        self._settled = True
        if closed:
            log.warning("closed %d connection_log row(s) an earlier run left open "
                        "(it was killed or crashed)", closed)  # fmt: skip

    def _drain(self) -> None:
        conn = self._require()
        files = self.spool.files()
        if not files:
            return
        began, ops_before = time.monotonic(), self.spool.backlog
        for path in files:
            spool_id = path.name
            with conn.transaction():
                row = conn.execute(
                    "SELECT drained_upto FROM listener_spool_marks WHERE spool_id = %s", (spool_id,)
                ).fetchone()
            upto = int(row[0]) if row else 0
            chunk: list[Op] = []
            last = upto
            try:
                for n, op in self.spool.read(path):
                    if n <= upto:
                        self.spool.drained(path, 1)
                        continue
                    chunk.append(op)
                    last = n
                    if len(chunk) >= self.batch_size:
                        self._write(chunk, (spool_id, last))
                        self.spool.drained(path, len(chunk))
                        chunk = []
                if chunk:
                    self._write(chunk, (spool_id, last))
                    self.spool.drained(path, len(chunk))
            except _OUTAGE as exc:
                self._down(exc)
                log.warning("drain interrupted: %d spooled ops left", self.spool.backlog)
                return
            self.spool.remove(path)
        log.info("drained %d spooled ops from %d spool file(s) in %.1f s", ops_before,
                 len(files), time.monotonic() - began)  # fmt: skip

    def _write(self, ops: list[Op], mark: tuple[str, int] | None = None) -> None:
        """Commit ops; a batch the database refuses (not an outage) is retried op by op and
        the ops it still refuses are set aside in ``failed-*.jsonl`` next to the spool."""
        conn = self._require()
        try:
            self._committed(write_batch(conn, ops, self._cache, mark=mark))
            return
        except _OUTAGE:
            raise
        except psycopg.Error as exc:
            log.error("batch refused (%s); retrying op by op", str(exc).splitlines()[0])
        for op in ops:
            try:
                self._committed(write_batch(conn, [op], self._cache))
            except _OUTAGE:
                raise
            except psycopg.Error as exc:
                log.error("op refused, set aside: %s", str(exc).splitlines()[0])
                self.failed.append([op])
        if mark is not None:
            write_batch(conn, [], self._cache, mark=mark)

    def _connect(self, force: bool = False) -> bool:
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return True
        if not force and time.monotonic() < self._next_retry:
            return False
        try:
            if not self._migrated:  # the listener may have started during an outage
                with psycopg.connect(self.url, autocommit=True, connect_timeout=3) as admin:
                    migrate(admin)
                self._migrated = True
            self._conn = psycopg.connect(self.url, connect_timeout=3, application_name="p88 listen")
        except psycopg.OperationalError as exc:
            self._down(exc)
            return False
        self._cache = SessionCache()
        self.spool.seal()  # the outage is over: the next one gets its own file
        if not self.stats.db_up:
            log.warning("database is back; draining %d spooled ops", self.spool.backlog)
        self.stats.db_up = True
        return True

    def _down(self, exc: BaseException) -> None:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if self.stats.db_up:
            log.warning("database unavailable, spooling: %s", text)
        self.stats.db_up = False
        self.stats.last_error = text
        self._next_retry = time.monotonic() + self.retry_interval
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _require(self) -> psycopg.Connection[Any]:
        assert self._conn is not None
        return self._conn
