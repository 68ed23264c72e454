"""``p88 tui``: the live terminal leaderboard (Textual).

``LeaderboardApp(url)`` is the whole app; ``run(url)`` runs it in the terminal. It only
reads from PostgreSQL and follows new reads through LISTEN/NOTIFY on ``p88_reads``.
"""

from __future__ import annotations

from p88.tui.app import LeaderboardApp
from p88.tui.feed import LiveFeed

__all__ = ["LeaderboardApp", "LiveFeed", "run"]


def run(url: str, *, session: str | None = None) -> None:
    """Run the leaderboard in this terminal until the user quits."""
    LeaderboardApp(url, session=session).run()
