"""The runner card: the last crossing at a point, big enough to read across a finish area.

The name is drawn in a FIGlet font (the largest of ``FONTS`` that fits the width, else
plain bold text), the elapsed time in Textual's ``Digits``; below them the bib, division,
city and pace, and the runner's display message (``p88 display messages``) when there is
one. A crew with only a terminal (or a terminal on a
big screen) can run a finish-line display with it.
"""

from __future__ import annotations

from functools import lru_cache

import pyfiglet
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Digits, Static

from p88.store import Crossing
from p88.tui import fmt

FONTS = ("big", "standard", "small")


@lru_cache(maxsize=len(FONTS))
def _figlet(font: str) -> pyfiglet.Figlet:
    return pyfiglet.Figlet(font=font, width=10_000)  # never wrap: too wide means too big


@lru_cache(maxsize=256)
def big_text(text: str, width: int) -> str | None:
    """``text`` in the largest of ``FONTS`` whose lines fit in ``width`` cells, or None."""
    for font in FONTS:
        art = _figlet(font).renderText(text)
        lines = [line.rstrip() for line in art.splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        if lines and max(len(line) for line in lines) <= width:
            return "\n".join(lines)
    return None


class RunnerCard(Vertical):
    """The newest crossing at ``point``: name, time, bib, division, city, place, message."""

    point: reactive[str] = reactive("")
    crossing: reactive[Crossing | None] = reactive(None)

    def compose(self) -> ComposeResult:
        yield Static("", id="card-where")
        yield Static("", id="card-name")
        yield Digits("", id="card-time")
        yield Static("", id="card-info")
        yield Static("", id="card-message")

    def watch_point(self) -> None:
        self._draw()

    def watch_crossing(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        c = self.crossing
        where = self.query_one("#card-where", Static)
        name = self.query_one("#card-name", Static)
        digits = self.query_one("#card-time", Digits)
        info = self.query_one("#card-info", Static)
        message = self.query_one("#card-message", Static)
        if c is None:
            where.update(Text(f"No crossing at {self.point or 'the point'} yet", "dim"))
            name.update("")
            digits.update("")
            info.update("")
            message.update("")
            return
        where.update(
            Text.assemble((c.point, "bold"), f"  ·  place {c.place}  ·  ", fmt.clock(c.at))
        )
        full = c.name or f"Bib {c.bib}"
        art = big_text(full, max(1, self.content_size.width))
        name.update(Text(art, "bold") if art else Text(full, "bold"))
        digits.update(fmt.elapsed(c.elapsed))
        parts = [f"bib {c.bib}", c.division, c.city, fmt.pace(c.pace) or None]
        info.update(Text("  ·  ".join(p for p in parts if p)))
        message.update(Text(c.message or "", "italic"))
