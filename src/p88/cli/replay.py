"""``p88 replay``: play capture files into a CTP01 server as ChronoTrack's client would."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from p88.cli._app import err, is_terminal, out, print_json, state
from p88.errors import EXIT_INTERRUPTED, InputError


def parse_target(target: str) -> tuple[str, int]:
    """``HOST:PORT`` (or ``:PORT``, or ``PORT``) as a host and port; a URL is refused."""
    if "://" in target or "/" in target:
        raise InputError(
            f"--to {target!r}: expected HOST:PORT, not a URL (CTP01 is plain TCP), "
            "e.g. 127.0.0.1:61611", what="server", where="--to",
        )  # fmt: skip
    host, _, port = target.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(
            f"--to {target!r}: expected HOST:PORT, e.g. 127.0.0.1:61611",
            what="server address",
            where="--to",
        )
    return host.strip("[]") or "127.0.0.1", int(port)


async def run_with_progress(clients: Sequence[Any], config: Any, show: bool) -> Any:
    """Run the replay; with ``show``, one rich progress bar per stream until it ends."""
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from p88.protocol.replay import replay

    if not show:
        return await replay(clients, config)
    feeds = [f for group, _ in clients for f in group]
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=False,
    ) as progress:
        tasks = [progress.add_task(f"{f.location} ({f.source})", total=len(f)) for f in feeds]
        job = asyncio.ensure_future(replay(clients, config))
        while not job.done():
            await asyncio.wait({job}, timeout=0.1)
            for task, feed in zip(tasks, feeds, strict=True):
                progress.update(task, completed=feed.sent_upto, total=len(feed))
        return job.result()


def summary_table(summary: Any, title: str = "Replayed") -> Table:
    table = Table(title=f"{title} in {summary.elapsed_s:.1f} s ({summary.rate:,.0f} lines/s)")
    for col in ("location", "file", "lines", "sent", "resent"):
        table.add_column(col, justify="right" if col in ("lines", "sent", "resent") else "left")
    for f in summary.feeds:
        table.add_row(f.location, f.source, f"{len(f):,}", f"{f.sent_upto:,}", f"{f.resent:,}")
    return table


def replay(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="CT01 capture files (one or more)."),  # noqa: B008
    to: str = typer.Option("127.0.0.1:61611", "--to", help="The CTP01 server, HOST:PORT."),
    speed: str = typer.Option("1", "--speed", help="1, 10, any factor, or max."),
    loop: bool = typer.Option(False, "--loop", help="Play again and again (new seq and times)."),
    start: Optional[str] = typer.Option(  # noqa: UP045
        None, "--from", help="Skip lines before this time of day (HH:MM[:SS])."
    ),
    until: Optional[str] = typer.Option(  # noqa: UP045
        None, "--until", help="Skip lines after this time of day (HH:MM[:SS])."
    ),
    day: list[str] = typer.Option(  # noqa: B008
        [],
        "--date",
        help="Date of normal-format times: YYYY-MM-DD for every file, or NAME=YYYY-MM-DD for "
        "one (repeatable). Else the date in the file name, else the race's (--race).",
    ),
    race: Optional[int] = typer.Option(  # noqa: UP045
        None, "--race", help="Race id: its date dates files that have none."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Stop at the first line that does not parse (default: skip it)."
    ),
    clients: str = typer.Option(
        "auto", "--clients", help="auto, one (all files on one link) or per-file."
    ),
    client_name: str = typer.Option(
        "p88-replay", "--client-name", help="Greeting name (some servers want SimpleClient)."
    ),
    user: Optional[str] = typer.Option(None, "--user", help="User, if the server asks."),  # noqa: UP045
    password: Optional[str] = typer.Option(  # noqa: UP045
        None, "--password", envvar="P88_REPLAY_PASSWORD", help="Password, if the server asks."
    ),
    event: Optional[str] = typer.Option(  # noqa: UP045
        None, "--event", help="Event name to report (default: from the file name)."
    ),
    give_up: float = typer.Option(
        30.0,
        "--give-up",
        min=0.0,
        metavar="SECONDS",
        help="Stop when the server has been unreachable this long (0: at the first refusal).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Replay capture files into a listener at their recorded pace, over real CTP01/TCP.

    Speaks the client side of CTP01: honours the server's request lines (push or pull,
    formats, gun times, new locations, authentication), answers its commands, and when
    the server goes away reconnects with the same connection id and resumes where the
    server asks. Several files are several locations of one client, or one client each.
    Times without a date go on --date, the date in the file name or the race's date; with
    none p88 refuses. Lines that do not parse are reported once each, counted and skipped.

    Example: p88 replay ../shared/captures/mini11992-2024-12-14.ct33 --to 127.0.0.1:61611 --speed 10
    """
    import asyncio
    import time

    from p88.protocol.dates import date_options
    from p88.protocol.feed import BadLine
    from p88.protocol.replay import ReplayConfig, ReplaySummary
    from p88.sim.plan import parse_speed, plan_clients
    from p88.units import parse_clock

    if clients not in ("auto", "one", "per-file"):
        raise InputError(
            f"--clients {clients!r}: use auto, one or per-file", what="clients", where="--clients"
        )
    host, port = parse_target(to)
    config = ReplayConfig(host, port, speed=parse_speed(speed), loop=loop, give_up_s=give_up)
    day0, days = date_options(day, files)
    on_race = None
    if race is not None:
        from p88.store import connect, race_day

        with connect(state(ctx).database_url(), autocommit=True) as conn:
            on_race = race_day(conn, race)
    bad: list[BadLine] | None = None if strict else []
    plan = plan_clients(
        files,
        day0=day0,
        days=days,
        race=on_race,
        bad_lines=bad,
        clients=clients,  # type: ignore[arg-type]
        name=client_name,
        user=user,
        password=password,
        event=event,
        start=parse_clock(start, where="--start") if start else None,
        until=parse_clock(until, where="--until") if until else None,
    )
    began = time.monotonic()
    try:
        summary = asyncio.run(run_with_progress(plan, config, is_terminal() and not as_json))
    except KeyboardInterrupt:
        feeds = [f for group, _ in plan for f in group]
        sent, total = sum(f.sent_upto for f in feeds), sum(len(f) for f in feeds)
        err.print(summary_table(ReplaySummary([], feeds, time.monotonic() - began),
                                title="Interrupted"))  # fmt: skip
        err.print(f"interrupted: {sent:,} of {total:,} lines sent to {host}:{port}",
                  markup=False)  # fmt: skip
        raise typer.Exit(EXIT_INTERRUPTED) from None
    for line in bad or ():
        err.print(f"skipped {line}", markup=False, highlight=False)
    if as_json:
        print_json(
            {
                "bad_lines": len(bad or ()),
                "elapsed_s": round(summary.elapsed_s, 3),
                "lines_per_s": round(summary.rate, 1),
                "feeds": [
                    {
                        "location": f.location,
                        "file": f.source,
                        "lines": len(f),
                        "sent": f.sent_upto,
                        "resent": f.resent,
                    }
                    for f in summary.feeds
                ],  # fmt: skip
                "clients": [
                    {"connections": c.connections, "settings": c.settings, "notes": c.notes}
                    for c in summary.clients
                ],
            }
        )
        return
    out.print(summary_table(summary))
    if bad:
        out.print(f"{len(bad)} line(s) did not parse and were skipped (see above; --strict stops)")
    for c in summary.clients:
        out.print(f"{c.name} → {host}:{port}: {c.connections} connection(s), {c.settings}")
        for note in c.notes[:5]:
            out.print(f"  note: {note}")
