"""What the ingest writer writes (typed ops), and the local fsync'd spool that holds them
while PostgreSQL is away.

The writer takes *ops*: a read, a gun time, a rejected line, a connection row, session
details. When a batch cannot be committed, its ops are appended to a spool file as JSON
lines and fsync'd before the writer moves on, so an outage (or a crash during one) loses
nothing. Each record carries an ordinal; draining commits a chunk together with
``listener_spool_marks.drained_upto`` for that file, so a crash after the commit but
before the file is deleted never applies a record twice. Reads are also idempotent by
their identity key, but rejects and connection rows are not: the mark is what makes the
whole drain exactly-once.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from p88.errors import ConfigError

__all__ = [
    "ConnectionRow",
    "GunRow",
    "Op",
    "ReadRow",
    "RejectRow",
    "SessionInfo",
    "Spool",
    "check_spool_dir",
    "decode_op",
    "encode_op",
]


@dataclass(frozen=True)
class SessionInfo:
    """A timing session by name, with what p88 knows about it (None = leave as is)."""

    name: str
    event_name: str | None = None
    event_id: str | None = None
    description: str | None = None
    session_date: date | None = None
    timezone: str | None = None
    #: The timing partner (code or numeric id) that owns the session; a session that
    #: already has one keeps it (see ``p88.store.ingest``).
    partner: str | None = None


@dataclass(slots=True)
class ReadRow:
    """One read to store. ``timestamp`` is the naive local wall-clock time of the read.

    Not frozen, unlike the other ops: the listener builds one per read on its event loop,
    and a frozen dataclass's ``__init__`` costs about 1 µs more per read there. Nothing
    changes a ReadRow after it is built."""

    session: str
    location: str
    tag: str
    timestamp: datetime
    lap: int
    reader: str
    gator: int
    seq: int | None
    connection_id: str | None
    raw: str
    received_at: datetime
    conn_key: str | None = None


@dataclass(frozen=True)
class GunRow:
    """A gun time of a session's location (kept as a gun event, never as a read)."""

    session: str
    location: str
    timestamp: datetime
    reader: str
    seq: int | None
    connection_id: str | None
    raw: str
    received_at: datetime
    conn_key: str | None = None


@dataclass(frozen=True)
class RejectRow:
    """Input that did not parse, kept verbatim with the reason and where it came from."""

    source: str
    raw: bytes
    reason: str
    received_at: datetime
    session: str | None = None
    conn_key: str | None = None
    line_number: int | None = None


@dataclass(frozen=True)
class ConnectionRow:
    """The state of one client connection: upserted into ``connection_log`` by ``conn_key``.
    Counts are not here: the writer adds them from what it actually committed."""

    conn_key: str
    peer_ip: str | None
    peer_port: int | None
    connected_at: datetime
    session: str | None = None
    greeting: str | None = None
    connection_id: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    message_count: int = 0
    disconnected_at: datetime | None = None
    close_reason: str | None = None


Op = SessionInfo | ReadRow | GunRow | RejectRow | ConnectionRow
_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (SessionInfo, ReadRow, GunRow, RejectRow, ConnectionRow)
}
_DATETIMES = {"timestamp", "received_at", "connected_at", "disconnected_at"}


def encode_op(op: Op) -> dict[str, Any]:
    """A JSON-ready dict for one op (``t`` names its type)."""
    data: dict[str, Any] = {"t": type(op).__name__}
    for key, value in asdict(op).items():
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        data[key] = value
    return data


def decode_op(data: dict[str, Any]) -> Op:
    """The inverse of :func:`encode_op`."""
    cls = _TYPES[data["t"]]
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        value = data.get(f.name)
        if value is not None and f.name in _DATETIMES:
            value = datetime.fromisoformat(value)
        elif value is not None and f.name == "session_date":
            value = date.fromisoformat(value)
        elif value is not None and f.name == "raw" and cls is RejectRow:
            value = base64.b64decode(value)
        if f.name in data:
            kwargs[f.name] = value
    op: Op = cls(**kwargs)
    return op


def check_spool_dir(directory: Path) -> None:
    """Refuse a spool directory that cannot be created or written, at start: an outage is
    the worst moment to find out (ConfigError naming it and why)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".p88-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"spool directory {directory} is not usable: {exc.strerror or exc}",
            hint="reads wait there during a database outage; give a writable --spool-dir",
        ) from None


class Spool:
    """Append-only JSON-lines files in ``directory``, one per outage, oldest drained first.

    Only the single writer thread touches a spool; ``append`` returns after fsync.
    """

    def __init__(self, directory: Path, *, prefix: str = "spool") -> None:
        self.directory = directory
        self.prefix = prefix
        self._current: Path | None = None
        self._next = 1
        self._backlog = sum(self._count(p) for p in self.files())

    @property
    def backlog(self) -> int:
        """Records spooled and not yet drained."""
        return self._backlog

    def files(self) -> list[Path]:
        """Spool files, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(f"{self.prefix}-*.jsonl"))

    def append(self, ops: list[Op]) -> None:
        """Write ops durably (flush + fsync) to the current file, starting one if needed."""
        if not ops:
            return
        if self._current is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{self.prefix}-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.jsonl"
            self._current = self.directory / name
            self._next = 1
        lines = []
        for op in ops:
            record = {"n": self._next, "op": encode_op(op)}
            self._next += 1
            lines.append(json.dumps(record, separators=(",", ":")) + "\n")
        with self._current.open("a", encoding="utf-8") as fh:
            fh.write("".join(lines))
            fh.flush()
            os.fsync(fh.fileno())
        self._fsync_dir()
        self._backlog += len(ops)

    def seal(self) -> None:
        """Stop appending to the current file (the next append starts a new one)."""
        self._current = None

    def read(self, path: Path) -> Iterator[tuple[int, Op]]:
        """The records of one file; a torn last line (crash mid-write) is skipped."""
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                yield int(record["n"]), decode_op(record["op"])

    def drained(self, path: Path, count: int) -> None:
        """Count records as drained (backlog only; the database holds the real mark)."""
        self._backlog = max(0, self._backlog - count)

    def remove(self, path: Path) -> None:
        """Delete a fully drained file."""
        if path == self._current:
            self._current = None
        path.unlink(missing_ok=True)
        self._fsync_dir()

    def _count(self, path: Path) -> int:
        with path.open("rb") as fh:
            return sum(1 for _ in fh)

    def _fsync_dir(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
