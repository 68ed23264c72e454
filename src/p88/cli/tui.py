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
    """Live leaderboard in the terminal: crossings, standings, announcer, runner card.

    Follows new reads as the listener commits them (PostgreSQL LISTEN/NOTIFY) and
    only ever reads from the database.

    Tabs: 1 crossings (one row per runner per point, with name, place and pace),
    2 standings (per point or race), 3 announcer (the next runners expected at the
    finish, projected from their pace), 4 runner card (the last crossing, name in big
    letters), 5 reads (raw reads), / search (by bib or name; Esc leaves the box).

    Keys: s session, p point/race, x sex, a age group, r refresh, ? help, q quit.
    The mouse works too.

    Example: p88 tui --session 1
    """
    from p88.tui import check, run

    url = state(ctx).database_url()
    check(url, session)
    run(url, session=session)
