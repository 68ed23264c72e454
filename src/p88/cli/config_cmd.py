"""``p88 config``: every effective setting and where its value came from."""

from __future__ import annotations

import typer
from rich.table import Table

from p88.cli._app import out, print_json, state


def show(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Show each effective setting and its source (flag, environment, p88.toml, default).

    Passwords are masked.

    Example: p88 config --json
    """
    settings = state(ctx).settings()
    rows = [
        {"name": v.setting.name, "value": v.shown(), "source": v.source, "env": v.setting.env}
        for v in settings.values.values()
    ]
    if as_json:
        print_json({"config_file": str(settings.config_file), "settings": rows})
        return
    table = Table(title=f"p88 configuration (file: {settings.config_file})")
    for column in ("setting", "value", "source", "environment variable"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["value"], row["source"], row["env"])
    out.print(table)
