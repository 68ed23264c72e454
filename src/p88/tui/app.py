"""``LeaderboardApp``: the live terminal leaderboard — its tabs, keys and messages.

The state it shows and the tasks that refresh it live in ``LiveBoard`` (``board.py``).
Keys always reach the app except while typing in the search box (Esc hands them back):
showing a tab moves the focus to that tab's table, so no widget on a hidden tab keeps it.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Select, Static, TabbedContent, TabPane

from p88 import store
from p88.store import arun
from p88.tui import widgets as w
from p88.tui.board import ALL, LiveBoard
from p88.tui.card import RunnerCard
from p88.tui.feed import LiveFeed
from p88.tui.screens import HelpScreen, SessionPicker
from p88.tui.status import Banner
from p88.tui.table import LiveTable

#: Where the keys go when a tab is shown (None: to the app itself).
TAB_FOCUS = {
    "crossings": "#crossings-table",
    "standings": "#standings-table",
    "announcer": "#announcer-table",
    "card": None,
    "reads": "#reads-table",
    "search": "#search-input",
}


class LeaderboardApp(LiveBoard):
    """Crossings, standings, the announcer's "coming up", a runner card, raw reads, search
    and a session picker, live from PostgreSQL."""

    CSS_PATH = Path(__file__).with_name("leaderboard.tcss")  # absolute: subclasses live elsewhere
    TITLE = "p88 tui"
    TABS = Binding.Group("Tabs", compact=True)
    FILTERS = Binding.Group("Filters", compact=True)
    BINDINGS = [
        Binding("1", "show_tab('crossings')", "Crossings", group=TABS),
        Binding("2", "show_tab('standings')", "Standings", group=TABS),
        Binding("3", "show_tab('announcer')", "Announcer", group=TABS),
        Binding("4", "show_tab('card')", "Runner card", group=TABS),
        Binding("5", "show_tab('reads')", "Reads", group=TABS),
        Binding("slash", "search", "Search"),
        Binding("s", "pick_session", "Session"),
        Binding("p", "cycle('view')", "Point/race", group=FILTERS),
        Binding("x", "cycle('sex')", "Sex", group=FILTERS),
        Binding("a", "cycle('age')", "Age group", group=FILTERS),
        Binding("r", "reload", "Refresh", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("escape", "leave_input", "Back", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield self.status_bar
        yield Banner(id="banner")
        with TabbedContent(initial="crossings", id="tabs"):
            with TabPane("Crossings", id="crossings"):
                yield LiveTable(w.CROSSING_COLUMNS, w.crossing_row, id="crossings-table")
            with TabPane("Standings", id="standings"):
                with Horizontal(id="filters"):
                    yield Select([("(no timing point)", ALL)], allow_blank=False, id="view")
                    yield Select([("All sexes", ALL)], allow_blank=False, id="sex")
                    yield Select([("All ages", ALL)], allow_blank=False, id="age")
                yield LiveTable(w.STANDING_COLUMNS, w.standing_row, id="standings-table")
            with TabPane("Announcer", id="announcer"):
                yield Static("", id="announcer-summary")
                yield LiveTable(w.ANNOUNCER_COLUMNS, w.announcer_row, id="announcer-table")
            with TabPane("Runner card", id="card"):
                yield RunnerCard(id="runner-card")
            with TabPane("Reads", id="reads"):
                yield LiveTable(w.READ_COLUMNS, w.read_row, id="reads-table")
            with TabPane("Search", id="search"):
                yield Input(placeholder="bib, tag or name, then Enter", id="search-input")
                yield Static("", id="search-summary")
                yield LiveTable(w.SEARCH_COLUMNS, w.search_row, id="search-table")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Banner).report(None)
        self.status_bar.show(db_label=self.db_label)
        self.run_worker(self.feed.run(), name="feed", exit_on_error=False)
        self.start_refreshing()
        self.set_interval(1.0, self._tick)
        self.set_interval(self.header_every_s, lambda: self.refresher.mark("header"))

    def _tick(self) -> None:
        self.status_bar.tick()
        self._show_elsewhere()

    # -- messages ------------------------------------------------------------------------

    @on(LiveFeed.Up)
    def _feed_up(self) -> None:
        self.query_one(Banner).report(None)
        self.status_bar.show(online=True)
        self.refresher.mark("session")

    @on(LiveFeed.Down)
    def _feed_down(self, message: LiveFeed.Down) -> None:
        self.banner_shown += 1
        self.query_one(Banner).report(message.reason, message.attempt)
        self.status_bar.show(online=False)

    @on(LiveFeed.Notified)
    def _notified(self, message: LiveFeed.Notified) -> None:
        ids = message.event.session_ids
        if self.session_id is None:
            self.refresher.mark("session")
            return
        if self.session_id in ids:
            self.refresher.mark("crossings", "reads", "standings", "announcer", "header", "search")
        others = [sid for sid in ids if sid != self.session_id]
        if others:
            self.elsewhere.saw(others, time.monotonic())
            self._show_elsewhere()

    def _show_elsewhere(self) -> None:
        self.status_bar.notice = self.elsewhere.notice(time.monotonic())
        if self.elsewhere.unnamed():
            self._name_sessions()

    @work(exclusive=True, group="elsewhere", exit_on_error=False)
    async def _name_sessions(self) -> None:
        conn = self.feed.bulk
        if conn is None:
            return
        for sid in self.elsewhere.unnamed():
            try:
                info = await arun(conn, store.session_summary(sid))
            except psycopg.Error as exc:
                self.feed.lost(exc)
                return
            self.elsewhere.names[sid] = info.session_name if info else ""
        self.status_bar.notice = self.elsewhere.notice(time.monotonic())

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        tab = event.pane.id or ""
        if tab in self._stale:
            self._stale.discard(tab)
            self.refresher.mark(tab, urgent=True)

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        name = event.select.id or ""
        if name in self.filters and isinstance(event.value, str):
            self.filters[name] = event.value
            self.refresher.mark("standings", urgent=True)
            if name == "view":  # the card's point follows the standings' point
                self.refresher.mark("crossings", urgent=True)

    @on(Input.Submitted, "#search-input")
    def _search(self, event: Input.Submitted) -> None:
        self.search_text = event.value.strip()
        self.refresher.mark("search", urgent=True)

    # -- actions -------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        """Show ``tab`` and give the keys to its table (or to the app): a widget left
        focused on a hidden tab would pull its tab back, and the search box the keys."""
        target = TAB_FOCUS.get(tab)
        self.query_one(TabbedContent).active = tab
        self.set_focus(self.query_one(target) if target else None)

    def action_search(self) -> None:
        self.action_show_tab("search")

    def action_cycle(self, name: str) -> None:
        """Step a standings filter to its next choice (and show the standings)."""
        self.action_show_tab("standings")
        values = [v for _, v in self.choices[name]]
        if len(values) > 1:
            current = self.filters[name]
            nxt = values[(values.index(current) + 1) % len(values)] if current in values else ALL
            self.query_one(f"#{name}", Select).value = nxt

    def action_leave_input(self) -> None:
        """Esc in the search box hands the keys back to the app (and the results table)."""
        if isinstance(self.focused, Input):
            self.query_one("#search-table", LiveTable).focus()

    def action_reload(self) -> None:
        self.refresher.mark("session")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    @work(exclusive=True, group="picker", exit_on_error=False)
    async def action_pick_session(self) -> None:
        if self.feed.bulk is None:
            self.notify("not connected to the database", severity="warning")
            return
        try:
            sessions = await arun(self.feed.bulk, store.list_sessions(limit=200))
        except psycopg.Error as exc:
            self.feed.lost(exc)
            return
        if not sessions:
            self.notify("there is no timing session yet", severity="warning")
            return
        self.push_screen(SessionPicker(sessions, self.session_id), self.switch_session)

    def switch_session(self, session_id: int | None) -> None:
        """Show another session (``None``: keep the current one)."""
        if session_id is None or session_id == self.session_id:
            return
        self.session_id = session_id
        self.last_id = self.reads_last_id = 0
        self.crossings = []
        self.reads.clear()
        self.rankings.clear()
        self.elsewhere.forget(session_id)
        self._show_elsewhere()
        self.search_text = ""
        self.filters = {"view": ALL, "sex": ALL, "age": ALL}
        for table in self.query(LiveTable):
            table.set_rows([])
        self.query_one(RunnerCard).crossing = None
        self.query_one("#search-summary", Static).update("")
        self.refresher.mark("session")
