"""What every p88 command shares: the consoles, the settings, and the error boundary.

``P88Group`` is the one place where library errors become messages: a ``P88Error``
anywhere below it prints one line on stderr and exits with the error's code.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from p88 import config
from p88.errors import P88Error

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def error_line(exc: P88Error) -> str:
    """The single line a user sees for a library error."""
    text = f"Error: {exc.message}"
    if exc.hint:
        text += f" ({exc.hint})"
    return text


class P88Group(TyperGroup):
    """Root command group: turns ``P88Error`` into one line on stderr and its exit code."""

    def invoke(self, ctx: Any) -> Any:  # click.Context; typer vendors click privately
        try:
            return super().invoke(ctx)
        except P88Error as exc:
            err.print(error_line(exc), markup=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None


@dataclass
class State:
    """Per-invocation state held in ``ctx.obj``: flags that override configuration."""

    flags: dict[str, str | None] = field(default_factory=dict)
    _settings: config.Settings | None = None

    def settings(self) -> config.Settings:
        if self._settings is None:
            self._settings = config.load(self.flags)
        return self._settings

    def database_url(self) -> str:
        from p88.store import database_url

        return database_url(self.settings())


def state(ctx: typer.Context) -> State:
    """The invocation's ``State``, created on first use (so sub-apps work alone in tests)."""
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


def print_json(data: Any) -> None:
    """JSON for scripts: plain stdout, no colour, no wrapping."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def is_terminal() -> bool:
    return out.is_terminal
