"""The listener's own queries: which session a restarted listener continues, and the
``connection_log`` rows a killed listener left open.

``p88.listener`` joins protocol and store and runs no SQL itself; what it needs to ask
the database, beyond the writer's batches, lives here.

A connection row is stamped (``session_info.listener``) with the listener that owns it,
``host:port``: only one process can listen on a port, so when a listener starts, a row of
the same ``host:port`` still open from before this start belongs to a run that ended
without closing it (SIGKILL, power loss) and is closed with :data:`DANGLING_REASON`.
"""

from __future__ import annotations

import socket
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg import sql

from p88.store.queries.plan import run
from p88.store.queries.sessions import current_session, session_summary

__all__ = [
    "DANGLING_REASON",
    "close_dangling_connections",
    "default_session_to_continue",
    "listener_key",
    "newest_default_session",
    "session_day",
]

#: The close reason of a row left open by a listener that stopped without closing it.
DANGLING_REASON = (
    "the listener stopped without closing the connection (killed or crashed); "
    "closed when it started again"
)

# When a dangling row really ended is unknown; the start that finds it is when it is known
# to be gone, and the reason says so.
_CLOSE_DANGLING = sql.SQL("""
UPDATE connection_log SET disconnected_at = %(started)s, close_reason = %(reason)s
WHERE disconnected_at IS NULL
  AND connected_at < %(started)s
  AND (session_info IS NULL OR NOT session_info ? 'listener'
       OR session_info ->> 'listener' = %(listener)s)
""")


def listener_key(port: int) -> str:
    """This listener's identity in ``connection_log``: ``hostname:port``."""
    return f"{socket.gethostname()}:{port}"


def newest_default_session(conn: psycopg.Connection[Any], day_prefix: str) -> str | None:
    """The newest active session whose name starts with ``day_prefix`` (e.g.
    ``Session_20260607_``), which a restarted listener continues; None if there is none."""
    pattern = day_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sid = run(conn, current_session(named_like=pattern))  # the one rule, narrowed to the day
    found = run(conn, session_summary(sid)) if sid is not None else None
    return found.session_name if found else None


def default_session_to_continue(url: str, day_prefix: str) -> str | None:
    """:func:`newest_default_session` on a short connection of its own; None when the
    database cannot be reached (the listener starts anyway and spools)."""
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            return newest_default_session(conn, day_prefix)
    except psycopg.OperationalError:
        return None


def session_day(url: str, name: str) -> tuple[date | None, datetime | None] | None:
    """A session's stored date and its latest read's local time, as a listener that takes
    the session over needs them: dateless times go on the session's date (fixed when its
    first read arrived), rolling over midnight from where the session is, so a resend on a
    later day stores nothing twice. None when the session is new or the database is down."""
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            row = conn.execute(
                "SELECT s.session_date, (SELECT max(t.last_read) FROM timing_read_totals t"
                " WHERE t.session_id = s.id) FROM timing_sessions s WHERE s.session_name = %s",
                (name,),
            ).fetchone()
    except psycopg.OperationalError:
        return None
    return (row[0], row[1]) if row else None


def close_dangling_connections(
    conn: psycopg.Connection[Any], listener: str, started: datetime
) -> int:
    """Close the rows of ``listener`` (and unstamped rows of older versions) that were
    opened before ``started`` and never closed; the number closed."""
    cur = conn.execute(
        _CLOSE_DANGLING, {"started": started, "reason": DANGLING_REASON, "listener": listener}
    )
    return cur.rowcount
