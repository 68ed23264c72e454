"""``p88 forward``: stream a session's committed reads to a hub (or any CTP01 scorer)."""

from __future__ import annotations

from typing import Optional

import typer

from p88.cli._app import is_terminal, out, print_json, state, stop_on_signals
from p88.cli.replay import parse_target


def forward(
    ctx: typer.Context,
    to: list[str] = typer.Option(  # noqa: B008
        ..., "--to", help="A CTP01 server, HOST:PORT; repeat for several targets."
    ),
    session: str = typer.Option(..., "--session", help="The session to forward (name or id)."),
    user: Optional[str] = typer.Option(None, "--user", help="User, if a target asks."),  # noqa: UP045
    password: Optional[str] = typer.Option(  # noqa: UP045
        None, "--password", envvar="P88_FORWARD_PASSWORD", help="Password, if a target asks."
    ),
    once: bool = typer.Option(
        False, "--once", help="Send what is committed now, then stop (default: follow)."
    ),
    poll: float = typer.Option(
        1.0,
        "--poll",
        min=0.01,
        metavar="SECONDS",
        help="Look for new reads at least this often (NOTIFY wakes it at once).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Forward a session's committed reads to a hub, exactly once, over a link that drops.

    To each target p88 is a ChronoTrack controller in push mode: it keeps its connection
    id in this database, so after a dropped link, a restart of either side or a hub
    database outage the hub asks to resume from what it committed, and gets the rest. It
    follows new reads as they commit until Ctrl-C (or, with --once, stops when every
    target has what was committed at the start). An unreachable target is retried with
    backoff and reported once a minute; a target that refuses the login stops it.

    Example: p88 forward --session 12 --to hub.example.org:61611 --user crew
    """
    import asyncio
    import logging
    import signal

    from p88.forward import ForwardConfig, ForwardSummary, Target, forward

    targets = []
    for text in to:
        host, port = parse_target(text)
        targets.append(Target(host, port, user, password))
    config = ForwardConfig(session, tuple(targets), follow=not once, poll_s=poll)
    if is_terminal() and not as_json:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        names = ", ".join(t.name for t in targets)
        out.print(f"forwarding session {session} to {names}" + ("" if once else "; Ctrl-C stops"))
    url = state(ctx).database_url()

    async def run() -> ForwardSummary:
        stop = asyncio.Event()
        stop_on_signals(stop, signal.SIGINT, signal.SIGTERM)  # the summary still prints
        return await forward(url, config, stop)

    summary = asyncio.run(run())
    if as_json:
        print_json(
            {
                "session_id": summary.session_id,
                "session": summary.session_name,
                "loaded": summary.loaded,
                "targets": summary.targets,
            }
        )
        return
    for t in summary.targets:
        out.print(
            f"{t['target']}: {t['sent']:,} of {t['lines']:,} lines sent "
            f"({t['resent']:,} resent on request) over {t['connections']} connection(s)"
        )
