"""What every p88 command shares: the consoles, the settings, and the error boundary.

``P88Group`` is the one place where library errors become messages: a ``P88Error``
anywhere below it prints one line on stderr and exits with the error's code.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from p88 import config
from p88.errors import P88Error

if TYPE_CHECKING:
    import asyncio

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def error_line(exc: P88Error) -> str:
    """The single line a user sees for a library error."""
    text = f"Error: {exc.message}"
    if exc.hint:
        text += f" ({exc.hint})"
    return text


class P88Group(TyperGroup):
    """Root command group: turns ``P88Error`` into one line on stderr and its exit code.

    A database error that reached this far without being translated (a schema older than
    this p88, a connection lost mid-command) is translated here too, so a timing crew
    never sees a traceback for it; anything else keeps its traceback, since it is a bug.
    """

    def invoke(self, ctx: Any) -> Any:  # click.Context; typer vendors click privately
        try:
            return super().invoke(ctx)
        except P88Error as exc:
            err.print(error_line(exc), markup=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            translated = database_error(exc)
            if translated is None:
                raise
            err.print(error_line(translated), markup=False, soft_wrap=True)
            raise typer.Exit(translated.exit_code) from None


def database_error(exc: BaseException) -> P88Error | None:
    """The user-facing error for a psycopg error (the store's one translation), or None.

    The store is only imported when psycopg already is, keeping start-up light.
    """
    if "psycopg" not in sys.modules:
        return None
    from p88.store import database_error as translate

    return translate(exc)


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
    """JSON for scripts: plain stdout, no colour, no wrapping.

    Values JSON has no type for go through ``p88.units.json_value``: a duration becomes
    ``{"seconds": ..., "iso": ...}`` (never timedelta text), a date ISO 8601.
    """
    from p88.units import json_value

    sys.stdout.write(json.dumps(data, indent=2, default=json_value) + "\n")


def is_terminal() -> bool:
    return out.is_terminal


def stop_on_signals(stop: asyncio.Event, *signals: signal.Signals) -> None:
    """Set ``stop`` when one of ``signals`` arrives, so a long-running command (listen,
    forward, results follow) ends between steps and still prints its summary.

    Only the main thread may install signal handlers, and Windows' event loop has none:
    there nothing is installed and Ctrl-C raises KeyboardInterrupt as usual.
    """
    if sys.platform == "win32" or threading.current_thread() is not threading.main_thread():
        return
    import asyncio

    loop = asyncio.get_running_loop()
    for sig in signals or (signal.SIGINT,):
        loop.add_signal_handler(sig, stop.set)
