"""Where continuous scoring of a race stands (``ct_live_scoring``, migration 017).

The position is written in the same transaction as the results a step wrote, so a
follower restarted, or one whose database went away, carries on from the last commit.
``basis`` is a digest of what the results depend on besides the reads: when the next
step finds another one, it rescores the race.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from p88.store.results import points as pts
from p88.store.results.sessionreads import gun_news
from p88.store.results.settings import RaceSettings, last_signature, signature

if TYPE_CHECKING:
    import psycopg

__all__ = ["Position", "adoptable", "basis", "live_position", "max_verdict", "save_position"]


@dataclass(frozen=True)
class Position:
    """A follower's position in one race (``ct_live_scoring``)."""

    race_id: int
    session_id: int
    read_upto: int
    basis: str
    clock: datetime | None
    steps: int
    reads_scored: int


def live_position(conn: psycopg.Connection[Any], race_id: int) -> Position | None:
    """Where continuous scoring of the race stands (None: never followed)."""
    row = conn.execute(
        "SELECT race_id, session_id, read_upto, basis, clock, steps, reads_scored "
        "FROM ct_live_scoring WHERE race_id = %s",
        (race_id,),
    ).fetchone()
    return Position(*row) if row else None


def save_position(conn: psycopg.Connection[Any], pos: Position, added: int, follower: str) -> None:
    conn.execute(
        "INSERT INTO ct_live_scoring (race_id, session_id, read_upto, basis, clock, steps, "
        "reads_scored, follower, updated_at) VALUES (%s, %s, %s, %s, %s, 1, %s, %s, now()) "
        "ON CONFLICT (race_id) DO UPDATE SET session_id = EXCLUDED.session_id, "
        "read_upto = EXCLUDED.read_upto, basis = EXCLUDED.basis, clock = EXCLUDED.clock, "
        "steps = ct_live_scoring.steps + 1, "
        "reads_scored = ct_live_scoring.reads_scored + EXCLUDED.reads_scored, "
        "follower = EXCLUDED.follower, updated_at = now()",
        (pos.race_id, pos.session_id, pos.read_upto, pos.basis, pos.clock, added, follower),
    )


def basis(
    rules: list[pts.PointRule],
    settings: RaceSettings,
    gun: datetime | None,
    waves: dict[str, datetime],
    session: int,
) -> str:
    text = repr((signature(rules, settings), gun, sorted(waves.items()), session))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def adoptable(
    conn: psycopg.Connection[Any],
    race_id: int,
    session: int,
    rules: list[pts.PointRule],
    settings: RaceSettings,
) -> bool:
    """A race scored before (by ``p88 results score``) with today's points and settings
    and no gun news: follow on from its verdicts instead of rescoring it all."""
    return last_signature(conn, race_id) == signature(rules, settings) and not gun_news(
        conn, race_id, session
    )


def max_verdict(conn: psycopg.Connection[Any], race_id: int) -> int:
    row = conn.execute(
        "SELECT coalesce(max(read_id), 0) FROM ct_read_verdicts WHERE race_id = %s", (race_id,)
    ).fetchone()
    return int(row[0]) if row else 0
