"""Announcing changed results: one NOTIFY on ``p88_results`` per scoring commit.

Scoring (a follower's step, or a ``p88 results score`` run) sends it in the transaction
that writes the results, so it is delivered only once they are committed. The payload
says which race, up to which read the race is scored, and which results changed (their
ids; ``[]`` when a step scored reads but changed nothing; ``null`` when too many to
list, or after a full rescore: then the whole race is to be read again).
Displays (``p88 serve``'s stream, the TUI) fetch the rows themselves with
:func:`changed_results`; one that missed a notification loses nothing but timeliness:
it reads the standings again on reconnect.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

__all__ = ["RESULTS_CHANNEL", "ResultsChanged", "announce", "changed_results"]

RESULTS_CHANNEL = "p88_results"
MAX_IDS = 400  # a NOTIFY payload is at most 8000 bytes


@dataclass(frozen=True)
class ResultsChanged:
    """Results of ``race_id`` changed: ``ids`` (None: too many, or not tracked: read the
    race again), scored up to read ``upto`` of ``session_id``; ``full``: rescored all."""

    race_id: int
    session_id: int | None
    upto: int
    count: int
    ids: tuple[int, ...] | None
    full: bool = False

    def encode(self) -> str:
        return json.dumps(
            {
                "race": self.race_id,
                "session": self.session_id,
                "upto": self.upto,
                "count": self.count,
                "ids": None if self.ids is None else list(self.ids),
                "full": self.full,
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, payload: str) -> ResultsChanged | None:
        """The event, or None for a payload that is not one (another version's, a bare id)."""
        try:
            data = json.loads(payload)
            ids = data["ids"]
            return cls(
                int(data["race"]),
                None if data["session"] is None else int(data["session"]),
                int(data["upto"]),
                int(data["count"]),
                None if ids is None else tuple(int(i) for i in ids),
                bool(data.get("full", False)),
            )
        except (ValueError, KeyError, TypeError):
            return None


def announce(
    conn: psycopg.Connection[Any],
    race_id: int,
    session_id: int | None,
    upto: int,
    ids: Sequence[int] | None,
    *,
    full: bool = False,
) -> ResultsChanged:
    """Queue the notification in the current transaction (sent on commit)."""
    listed = None if ids is None or len(ids) > MAX_IDS else tuple(sorted(set(ids)))
    count = len(set(ids)) if ids is not None else 0
    event = ResultsChanged(race_id, session_id, upto, count, listed, full)
    conn.execute("SELECT pg_notify(%s, %s)", (RESULTS_CHANNEL, event.encode()))
    return event


_ROWS = """
SELECT r.id, r.race_id, r.bib, p.first_name, p.last_name, r.sex, r.age_group, r.status,
       r.overall_place, r.sex_place, r.age_group_place, r.chip_time, r.gun_time, r.note,
       last.point, last.crossing_time, last.distance_m, ra.partner_id, ra.session_id
FROM ct_results r
JOIN ct_participants p ON p.id = r.participant_id
JOIN ct_races ra ON ra.id = r.race_id
LEFT JOIN LATERAL (
    SELECT s.point, s.crossing_time, s.distance_m FROM ct_splits s
    WHERE s.result_id = r.id ORDER BY s.crossing_time DESC LIMIT 1
) last ON true
WHERE r.id = ANY(%s)
ORDER BY r.id
"""

_COLUMNS = (
    "result_id", "race_id", "bib", "first_name", "last_name", "sex", "age_group", "status",
    "overall_place", "sex_place", "age_group_place", "chip_time", "gun_time", "note",
    "last_point", "last_seen", "last_distance_m", "partner_id", "session_id",
)  # fmt: skip


def changed_results(conn: psycopg.Connection[Any], ids: Sequence[int]) -> list[dict[str, Any]]:
    """The rows a display shows for these results: places, times, status, and where the
    runner was last seen (their latest crossing after the start)."""
    if not ids:
        return []
    return [dict(zip(_COLUMNS, row, strict=True)) for row in conn.execute(_ROWS, (list(ids),))]
