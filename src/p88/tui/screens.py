"""Modal screens: the session picker and the help."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from p88.store import SessionSummary
from p88.tui import fmt

HELP = """\
[b]p88 tui[/b] — the live leaderboard. Everything updates as reads are committed.

[b]Tabs[/b]
[b]1[/b] crossings    one row per runner per point (a runner's reads on a mat within
               its dead time are one crossing, as scoring counts them), newest
               first: time, point, bib, name, elapsed, place there, pace
[b]2[/b] standings    per timing point (each runner's crossing) or race (results)
[b]3[/b] announcer    coming up: the next 10 runners expected at the finish, from
               their pace at their furthest point; ★ leads their division there
[b]4[/b] runner card  the last crossing at the card's point (the finish, or the
               point chosen with p): the name in big letters, the elapsed time
[b]5[/b] reads        raw reads as the controllers sent them, newest first
[b]/[/b] search       a bib or part of a name, then Enter: every read, every point

[b]Keys[/b]
[b]s[/b] session      pick another timing session
[b]p[/b] point/race   next point or race (standings, and the card's point)
[b]x[/b] sex          next sex filter (places and gaps are within the filter)
[b]a[/b] age group    next age-group filter
[b]r[/b] refresh      reload everything from the database
[b]Esc[/b]            leave the search box (the keys work again)
[b]?[/b] help         this page      [b]q[/b] quit

Elapsed times run from the runner's gun, else from their start-mat crossing.
Pace and projections need the race's points saved with distances (p88 results
points). p88 tui only reads: it never writes to the database.

Press Esc to close."""


class HelpScreen(ModalScreen[None]):
    """The keys and what the columns mean."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(HELP, id="help-text")

    def on_click(self) -> None:
        self.dismiss()


class SessionPicker(ModalScreen[int | None]):
    """Choose a timing session; dismisses with its id, or None on Esc."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel")]

    def __init__(self, sessions: list[SessionSummary], current: int | None) -> None:
        super().__init__()
        self.sessions = sessions
        self.current = current

    def compose(self) -> ComposeResult:
        width = max(len(s.session_name) for s in self.sessions)
        event_width = max(len(s.event_name or "") for s in self.sessions)
        options = [
            Option(
                Text.assemble(
                    (f"#{s.id:<5}", "dim"),
                    (s.session_name.ljust(width + 2), "bold"),
                    (s.event_name or "").ljust(event_width + 2),
                    ((s.status or "?").ljust(8), "green" if s.status == "active" else "dim"),
                    f"{fmt.count(s.total_reads):>9} reads",
                ),
                id=str(s.id),
            )
            for s in self.sessions
        ]
        with Vertical(id="picker-box"):
            yield Label("Timing sessions (Enter to open, Esc to cancel)", id="picker-title")
            yield OptionList(*options, id="picker-list")

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        ids = [s.id for s in self.sessions]
        if self.current in ids:
            picker.highlighted = ids.index(self.current)
        picker.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(int(event.option.id))
