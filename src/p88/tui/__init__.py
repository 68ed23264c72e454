"""``p88 tui``: the live terminal leaderboard (Textual).

``LeaderboardApp(url)`` is the whole app; ``run(url)`` runs it in the terminal. It only
reads from PostgreSQL and follows new reads through LISTEN/NOTIFY on ``p88_reads``.
"""

from __future__ import annotations

from p88.errors import InputError, StoreError
from p88.store import connect, describe, find_session, require_current
from p88.store import run as run_plan
from p88.tui.app import LeaderboardApp
from p88.tui.feed import APPLICATION_NAME, LiveFeed

__all__ = ["LeaderboardApp", "LiveFeed", "check", "run"]


def check(url: str, session: str | None = None) -> None:
    """Fail with one clear line now, rather than show a banner on an empty screen, when
    the database cannot be reached, has no timing schema yet, or an older one, or has no
    session ``session`` (an id or a name)."""
    with connect(url, autocommit=True, application_name=APPLICATION_NAME) as conn:
        row = conn.execute("SELECT to_regclass('timing_reads') IS NOT NULL").fetchone()
        if not row or not row[0]:
            raise StoreError(
                f"{describe(url)} has no p88 timing tables", hint="run p88 db migrate first"
            )
        require_current(conn)
        if session is not None and run_plan(conn, find_session(session)) is None:
            raise InputError(
                f"no session {session!r} in {describe(url)}",
                hint="run p88 tui without --session and press s to pick one",
                what="session",
                where="--session",
            )


def run(url: str, *, session: str | None = None) -> None:
    """Run the leaderboard in this terminal until the user quits."""
    LeaderboardApp(url, session=session).run()
