"""``p88 tui``: the live terminal leaderboard (Textual).

``LeaderboardApp(url)`` is the whole app; ``run(url)`` runs it in the terminal. It only
reads from PostgreSQL and follows new reads through LISTEN/NOTIFY on ``p88_reads``.
"""

from __future__ import annotations

from p88.errors import StoreError
from p88.store import connect, describe, require_current
from p88.tui.app import LeaderboardApp
from p88.tui.feed import APPLICATION_NAME, LiveFeed

__all__ = ["LeaderboardApp", "LiveFeed", "check", "run"]


def check(url: str) -> None:
    """Fail with one clear line now, rather than show a banner on an empty screen, when
    the database cannot be reached, has no timing schema yet, or an older one."""
    with connect(url, autocommit=True, application_name=APPLICATION_NAME) as conn:
        row = conn.execute("SELECT to_regclass('timing_reads') IS NOT NULL").fetchone()
        if not row or not row[0]:
            raise StoreError(
                f"{describe(url)} has no p88 timing tables", hint="run p88 db migrate first"
            )
        require_current(conn)


def run(url: str, *, session: str | None = None) -> None:
    """Run the leaderboard in this terminal until the user quits."""
    LeaderboardApp(url, session=session).run()
