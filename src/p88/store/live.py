"""The live-update contract between the writer (``p88 listen``) and the readers
(``p88 serve``, ``p88 tui``): one PostgreSQL NOTIFY per committed batch.

The payload is small and only says *that* reads were committed and up to which id;
readers fetch ``WHERE id > last_id_they_saw`` themselves. A reader that misses a
notification (it was reconnecting) therefore loses nothing: the next one, or its own
catch-up query on reconnect, brings every row. NOTIFY is transactional, so it is
delivered only after the batch is committed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

CHANNEL = "p88_reads"


@dataclass(frozen=True)
class ReadsCommitted:
    """A batch of reads became visible: their session ids, highest read id and count."""

    session_ids: tuple[int, ...]
    max_id: int
    count: int

    def encode(self) -> str:
        return json.dumps(
            {"sessions": list(self.session_ids), "max_id": self.max_id, "count": self.count},
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, payload: str) -> ReadsCommitted:
        data = json.loads(payload)
        return cls(tuple(int(s) for s in data["sessions"]), int(data["max_id"]), int(data["count"]))


def notify(conn: psycopg.Connection[Any], event: ReadsCommitted) -> None:
    """Queue the notification in the current transaction (sent on commit)."""
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, event.encode()))
