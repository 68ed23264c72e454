"""The ``p88`` root command: composes one typer sub-app per command group."""

from __future__ import annotations

from typing import Optional

import typer

from p88 import __version__
from p88.cli import ask as ask_cmd
from p88.cli import (
    config_cmd,
    db,
    demo,
    display,
    forward,
    import_cmd,
    plugins,
    replay,
    results,
    simulate,
    sync,
)
from p88.cli import listen as listen_cmd
from p88.cli import serve as serve_cmd
from p88.cli import tui as tui_cmd
from p88.cli._app import State, out

app = typer.Typer(
    cls=plugins.PluginGroup,  # built-ins, then installed plugins (p88.commands), lazily
    name="p88",
    help="Race-timing toolkit: ChronoTrack listener, replay, results and live displays on "
    "PostgreSQL.\n\nWith no configuration p88 uses an embedded PostgreSQL in your data "
    "directory; set P88_DATABASE_URL (or --db) to use a server.\n\n"
    "Example: p88 db migrate && p88 db status",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        out.print(f"p88 {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db_url: Optional[str] = typer.Option(  # noqa: UP045 - typer needs Optional here
        None, "--db", help="PostgreSQL URL (overrides P88_DATABASE_URL).", show_default=False
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Race-timing toolkit on PostgreSQL."""
    ctx.obj = State(flags={"database_url": db_url})


app.add_typer(db.app, name="db")
app.add_typer(demo.app, name="demo")
app.add_typer(display.app, name="display")
app.add_typer(results.app, name="results")
app.add_typer(sync.app, name="sync")
app.command("config")(config_cmd.show)
app.command("plugins")(plugins.show)
app.command("tui")(tui_cmd.tui)
app.command("listen")(listen_cmd.listen)
app.command("serve")(serve_cmd.serve)
app.command("replay")(replay.replay)
app.command("forward")(forward.forward)
app.command("simulate")(simulate.simulate)
app.command("import")(import_cmd.import_file)
app.command("ask")(ask_cmd.ask)


def main() -> None:
    """Console-script entry point."""
    app()
