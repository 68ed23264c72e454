"""The header a crew reads at a glance, and the banner shown while the database is away.

The header's lines never wrap: at any width each is cut to fit, the database label first
(it can be a long URL) and with an ellipsis, so the session and the mats' figures —
controllers, reads per minute, rejects — stay on screen at 80 columns as at 200.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from p88.store import HeaderFigures
from p88.tui import fmt

#: How long the notice about reads in another session stays after the last of them.
ELSEWHERE_S = 60.0


def fit(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells, with an ellipsis when cut."""
    out = text.copy()
    out.truncate(max(0, width), overflow="ellipsis")
    return out


class StatusBar(Widget):
    """Where we are (database, session), whether the mats are alive, and a notice when
    reads arrive in another session than the one shown."""

    DEFAULT_CSS = """
    StatusBar {
        height: auto;
    }
    """

    db_label: reactive[str] = reactive("")
    session: reactive[str] = reactive("no session")
    figures: reactive[HeaderFigures | None] = reactive(None)
    online: reactive[bool] = reactive(False)
    notice: reactive[str] = reactive("", layout=True)

    def __init__(self, clock: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock

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

    def tick(self) -> None:
        """Re-render (the "last read … ago" figure moves with the clock)."""
        self.refresh()

    def render(self) -> Text:
        width = self.content_size.width or 80
        lines = [self._where(width), fit(self._mats(), width)]
        if self.notice:
            lines.append(fit(Text(self.notice, style="bold yellow"), width))
        return Text("\n").join(lines)

    def _where(self, width: int) -> Text:
        head = Text.assemble(
            ("p88 ", "bold"),
            ("● " if self.online else "○ ", "green" if self.online else "red"),
        )
        between = Text("  session ", style="dim")
        room = width - head.cell_len - between.cell_len
        # the session keeps its whole name if it can; the label gets what is left
        session_w = min(len(self.session), max(room // 2, room - len(self.db_label)))
        label = fit(Text(self.db_label), room - session_w)
        return Text.assemble(head, label, between, fit(Text(self.session, "bold"), session_w))

    def _mats(self) -> Text:
        f = self.figures
        if f is None:
            return Text("waiting for the database…", style="dim")
        return Text.assemble(
            ("controllers ", "dim"),
            (str(f.controllers), "bold green" if f.controllers else "bold red"),
            ("  reads/min ", "dim"),
            (fmt.count(f.reads_per_minute), "bold"),
            ("  rejects ", "dim"),
            (fmt.count(f.rejects), "bold yellow" if f.rejects else "bold"),
            ("  reads ", "dim"),
            (fmt.count(f.total_reads), "bold"),
            ("  last read ", "dim"),
            (fmt.ago(f.last_read_at, self._clock()), "bold"),
        )


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


class Elsewhere:
    """Other sessions than the one shown that are receiving reads, and the notice that
    says so (for ``keep_s`` after the last of them): a crew watching the wrong session
    finds out from the status line."""

    def __init__(self, keep_s: float = ELSEWHERE_S) -> None:
        self.keep_s = keep_s
        self.seen: dict[int, float] = {}  # session id -> when its last reads were seen
        self.names: dict[int, str] = {}

    def saw(self, session_ids: Iterable[int], now: float) -> None:
        self.seen.update((sid, now) for sid in session_ids)

    def forget(self, session_id: int) -> None:
        self.seen.pop(session_id, None)

    def unnamed(self) -> list[int]:
        return [sid for sid in self.seen if sid not in self.names]

    def notice(self, now: float) -> str:
        """The status line's notice, or "" when no other session had reads lately."""
        self.seen = {sid: at for sid, at in self.seen.items() if now - at <= self.keep_s}
        if not self.seen:
            return ""
        sid = max(self.seen, key=lambda s: self.seen[s])
        name = self.names.get(sid)
        what = f"session #{sid}" + (f" {name}" if name else "")
        more = f" (and {len(self.seen) - 1} more)" if len(self.seen) > 1 else ""
        return f"⚠ reads are arriving in {what}{more}, not the one shown — s to switch"
