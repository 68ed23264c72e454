"""The leaderboard's own widgets: the status header, the outage banner, and table rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from p88.store import HeaderFigures, PointStanding, RankedResult, TimedRead
from p88.tui import fmt

# (label, key, width): fixed widths, so columns do not jump about as rows come and go
CROSSING_COLUMNS = (
    ("Time", "time", 11),
    ("Point", "point", 12),
    ("Bib", "bib", 8),
    ("Name", "name", 24),
    ("Elapsed", "elapsed", 10),
)
SEARCH_COLUMNS = (*CROSSING_COLUMNS, ("Reader", "reader", 8), ("Ant", "antenna", 3))
STANDING_COLUMNS = (
    ("Place", "place", 5),
    ("Bib", "bib", 8),
    ("Name", "name", 24),
    ("Sex", "sex", 3),
    ("AG", "ag", 7),
    ("Time", "time", 10),
    ("Gap", "gap", 10),
)


class StatusBar(Static):
    """Two lines a crew reads at a glance: where we are, and whether the mats are alive."""

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self.db_label = ""
        self.session = "no session"
        self.figures: HeaderFigures | None = None
        self.online = False

    def show(
        self,
        *,
        db_label: str | None = None,
        session: str | None = None,
        figures: HeaderFigures | None = None,
        online: bool | None = None,
    ) -> None:
        """Change what the header says; omitted parts stay as they were."""
        if db_label is not None:
            self.db_label = db_label
        if session is not None:
            self.session = session
        if figures is not None:
            self.figures = figures
        if online is not None:
            self.online = online
        self.tick()

    def tick(self) -> None:
        """Re-render (the "last read … ago" figure moves with the clock)."""
        top = Text.assemble(
            ("p88 ", "bold"),
            ("● " if self.online else "○ ", "green" if self.online else "red"),
            (self.db_label, ""),
            ("  session ", "dim"),
            (self.session, "bold"),
        )
        f = self.figures
        if f is None:
            bottom = Text("waiting for the database…", style="dim")
        else:
            bottom = Text.assemble(
                ("controllers ", "dim"),
                (str(f.controllers), "bold green" if f.controllers else "bold red"),
                ("  reads/min ", "dim"),
                (fmt.count(f.reads_per_minute), "bold"),
                ("  reads ", "dim"),
                (fmt.count(f.total_reads), "bold"),
                ("  rejects ", "dim"),
                (fmt.count(f.rejects), "bold yellow" if f.rejects else "bold"),
                ("  last read ", "dim"),
                (fmt.ago(f.last_read_at, self._clock()), "bold"),
            )
        self.update(Text("\n").join([top, bottom]))


class Banner(Static):
    """Shown only while the database link is down; says what happened and that p88 retries."""

    def report(self, reason: str | None, attempt: int = 0) -> None:
        """``reason`` None hides the banner."""
        if reason is None:
            self.display = False
            return
        tries = f" (attempt {attempt})" if attempt > 1 else ""
        self.update(Text(f"Database connection lost: {reason} — reconnecting{tries}…"))
        self.display = True


def plain(value: str | None) -> str:
    return value or ""


def crossing_row(c: TimedRead) -> tuple[str, ...]:
    return (fmt.clock(c.at), plain(c.point), plain(c.tag), plain(c.name), fmt.elapsed(c.elapsed))


def search_row(c: TimedRead) -> tuple[str, ...]:
    return (*crossing_row(c), plain(c.reader), str(c.antenna))


def standing_row(s: PointStanding | RankedResult) -> tuple[str, ...]:
    return (
        str(s.place),
        plain(s.bib),
        plain(s.name),
        plain(s.sex),
        plain(s.age_group),
        fmt.elapsed(s.time),
        fmt.gap(s.gap),
    )
