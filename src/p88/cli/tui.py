"""``p88 tui``: the live terminal leaderboard."""

from __future__ import annotations

from typing import Optional

import typer

from p88.cli._app import state


def tui(
    ctx: typer.Context,
    session: Optional[str] = typer.Option(  # noqa: UP045 - typer needs Optional here
        None,
        "--session",
        "-s",
        help="Session id or name to open (default: the newest active one).",
        show_default=False,
    ),
) -> None:
    """Live leaderboard in the terminal: latest crossings, standings, search.

    Follows new reads as the listener commits them (PostgreSQL LISTEN/NOTIFY) and
    only ever reads from the database. Keys: 1 crossings, 2 standings, / search,
    s session, p/x/a standings filters, ? help, q quit. The mouse works too.

    Example: p88 tui --session 1
    """
    from p88.tui import check, run

    url = state(ctx).database_url()
    check(url)
    run(url, session=session)
