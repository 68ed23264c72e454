"""``p88 display``: what the runner display shows beside a name: messages and VIPs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from p88.cli._app import out, print_json, state
from p88.errors import InputError

app = typer.Typer(
    help="The runner display (p88 serve's /display): runners' messages and VIP flags.\n\n"
    "Example: p88 display messages import messages.csv --race 1",
    no_args_is_help=True,
)
messages = typer.Typer(
    help="Runners' display messages, editable while the race runs: the display reads them "
    "again for every crossing.\n\nExample: p88 display messages import messages.csv --race 1",
    no_args_is_help=True,
)
app.add_typer(messages, name="messages")

Race = Annotated[int, typer.Option("--race", help="p88 race id (p88 results new-race prints it).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@messages.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with a bib column and a message column.")],
    race: Race,
    as_json: AsJson = False,
) -> None:
    """Set runners' display messages (and VIP flags) from a CSV: bib,message[,vip].

    All rows or none; a message replaces the runner's earlier one, an empty message clears
    it, and a VIP column (yes/no) flags runners whose cards jump the queue. A bib with no
    entry in the race yet is kept and listed.

    Example: p88 display messages import messages.csv --race 1
    """
    from p88.store import connect, import_messages

    with connect(state(ctx).database_url(), autocommit=True) as conn:
        summary = import_messages(conn, file, race)
    if as_json:
        print_json(summary.__dict__)
        return
    line = f"Set {summary.rows} message(s) for race {race} ({summary.vip} VIP)."
    if summary.not_entered:
        line += " No entry yet for bib(s): " + ", ".join(summary.not_entered[:20])
        line += " …" if len(summary.not_entered) > 20 else ""
    out.print(line, markup=False, soft_wrap=True)


@messages.command("default")
def default(
    ctx: typer.Context,
    race: Race,
    message: Annotated[
        str, typer.Argument(help="The message; an empty string removes the default.")
    ],
    division: Annotated[
        str | None, typer.Option("--division", help="A division: sex and age group, e.g. F35-39.")
    ] = None,
    point: Annotated[
        str | None, typer.Option("--point", help="A timing point's name, e.g. finish.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Set the message shown for runners without their own, per division or per point.

    A runner's own message wins, then their division's, then the point's.

    Example: p88 display messages default --race 1 --point finish "Welcome home!"
    """
    from p88.store import connect, set_default_message

    if (division is None) == (point is None):
        raise InputError("give --division or --point (one of them)", what="scope")
    scope, key = ("division", division) if division is not None else ("point", point)
    assert key is not None
    with connect(state(ctx).database_url(), autocommit=True) as conn:
        set_default_message(conn, race, scope, key, message or None)
    if as_json:
        print_json({"race_id": race, "scope": scope, "key": key, "message": message or None})
        return
    what = f"{scope} {key}"
    out.print(
        f"Default message for {what}: {message!r}"
        if message
        else f"Removed the default for {what}",
        markup=False,
        soft_wrap=True,
    )
