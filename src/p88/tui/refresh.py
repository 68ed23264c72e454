"""One long-lived task per kind of refresh, each woken by a "due" flag.

A burst of NOTIFYs sets a flag many times but wakes its task once, so reads arriving at
200/s cost one query per task per wake-up, not a queue of them. A task may pause after
each run to coalesce further (standings: about once a second); a key press marks its
flag *urgent*, which cuts that pause short so the screen answers the user at once.
Database errors go to the feed (which reconnects and marks everything due again);
anything else is shown as a notification: the race-day screen must not go down.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import psycopg
from textual.app import App

from p88.tui.feed import LiveFeed

Body = Callable[[], Awaitable[None]]


class Refresher:
    """The due/urgent flags of named refresh tasks, and the tasks themselves."""

    def __init__(self, app: App[None], feed: LiveFeed, names: tuple[str, ...]) -> None:
        self.app = app
        self.feed = feed
        self._due = {name: asyncio.Event() for name in names}
        self._urgent = {name: asyncio.Event() for name in names}

    def start(self, name: str, body: Body, pause: float = 0.0) -> None:
        """Run ``body`` whenever ``name`` is marked (as a Textual worker)."""
        self.app.run_worker(self._run(name, body, pause), name=name, exit_on_error=False)

    def mark(self, *names: str, urgent: bool = False) -> None:
        """Ask for a refresh of ``names``; ``urgent`` when a person is waiting for it."""
        for name in names:
            self._due[name].set()
            if urgent:
                self._urgent[name].set()

    async def _run(self, name: str, body: Body, pause: float) -> None:
        due = self._due[name]
        while True:
            await due.wait()
            due.clear()
            if not self.feed.connected:
                continue  # LiveFeed.Up marks every task again
            try:
                await body()
            except psycopg.Error as exc:
                self.feed.lost(exc)
            except Exception as exc:  # a bug must not take the race-day screen down
                self.app.log.error(f"{name} refresh failed: {exc!r}")
                self.app.notify(f"{name} refresh failed: {exc}", severity="error")
            if pause:
                urgent = self._urgent[name]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(urgent.wait(), pause)
                urgent.clear()
