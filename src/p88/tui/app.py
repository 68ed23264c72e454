"""``LeaderboardApp``: the live terminal leaderboard.

Data flows one way: ``LiveFeed`` relays NOTIFYs as messages; each kind of refresh
(session, crossings, standings, header, search) is one long-lived task that waits for its
"due" flag, queries, and updates its widget. A burst of notifications therefore coalesces
into one query per task instead of a queue of them, and a slow standings query never holds
up the crossings list. A failed query hands the error to the feed, which reconnects and
sets every flag again; no exception reaches Textual.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Select, Static, TabbedContent, TabPane

from p88 import store
from p88.store import arun, describe
from p88.tui import widgets as w
from p88.tui.feed import HEALTH_S, RETRY_S, LiveFeed
from p88.tui.refresh import Refresher
from p88.tui.screens import HelpScreen, SessionPicker
from p88.tui.table import LiveTable, Row

Clock = Callable[[], datetime]
ALL = ""
ROSTER_EVERY_S = 30.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class LeaderboardApp(App[None]):
    """Latest crossings, standings, search and a session picker, live from PostgreSQL."""

    CSS_PATH = Path(__file__).with_name("leaderboard.tcss")  # absolute: subclasses live elsewhere
    TITLE = "p88 tui"
    BINDINGS = [
        Binding("1", "show_tab('crossings')", "Crossings"),
        Binding("2", "show_tab('standings')", "Standings"),
        Binding("slash", "search", "Search"),
        Binding("s", "pick_session", "Session"),
        Binding("p", "cycle('view')", "Point/race"),
        Binding("x", "cycle('sex')", "Sex"),
        Binding("a", "cycle('age')", "Age group"),
        Binding("r", "reload", "Refresh", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("escape", "leave_input", "Back", show=False),
    ]

    def __init__(
        self,
        url: str,
        *,
        session: str | None = None,
        db_label: str | None = None,
        clock: Clock = utc_now,
        retry_s: Sequence[float] = RETRY_S,
        health_s: float = HEALTH_S,
        standings_every_s: float = 1.0,
        header_every_s: float = 5.0,
    ) -> None:
        super().__init__()
        self.session_key = session
        self.clock = clock
        self.db_label = describe(url) if db_label is None else db_label
        self.feed = LiveFeed(url, self, retry_s=retry_s, health_s=health_s)
        self.standings_every_s = standings_every_s
        self.header_every_s = header_every_s
        self.session_id: int | None = None
        self.last_id = 0
        self.latest: deque[Row] = deque(maxlen=store.LATEST_LIMIT)
        self.roster = store.Roster()
        self.roster_at = 0.0
        self.choices: dict[str, list[tuple[str, str]]] = {"view": [], "sex": [], "age": []}
        self.filters = {"view": ALL, "sex": ALL, "age": ALL}
        self.search_text = ""
        self.loaded = asyncio.Event()
        self.banner_shown = 0
        self.refresher = Refresher(
            self, self.feed, ("session", "crossings", "standings", "header", "search")
        )
        self._stale: set[str] = set()

    def compose(self) -> ComposeResult:
        yield w.StatusBar(self.clock, id="status")
        yield w.Banner(id="banner")
        with TabbedContent(initial="crossings", id="tabs"):
            with TabPane("Crossings", id="crossings"):
                yield LiveTable(w.CROSSING_COLUMNS, id="crossings-table")
            with TabPane("Standings", id="standings"):
                with Horizontal(id="filters"):
                    yield Select([("(no timing point)", ALL)], allow_blank=False, id="view")
                    yield Select([("All sexes", ALL)], allow_blank=False, id="sex")
                    yield Select([("All ages", ALL)], allow_blank=False, id="age")
                yield LiveTable(w.STANDING_COLUMNS, w.standing_row, id="standings-table")
            with TabPane("Search", id="search"):
                yield Input(placeholder="bib, tag or name, then Enter", id="search-input")
                yield Static("", id="search-summary")
                yield LiveTable(w.SEARCH_COLUMNS, id="search-table")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(w.Banner).report(None)
        self.query_one(w.StatusBar).show(db_label=self.db_label)
        self.run_worker(self.feed.run(), name="feed", exit_on_error=False)
        start = self.refresher.start
        start("session", self._load_session)
        start("crossings", self._refresh_crossings)
        start("standings", self._refresh_standings, self.standings_every_s)
        start("header", self._refresh_header, 1.0)
        start("search", self._refresh_search, self.standings_every_s)
        self.set_interval(1.0, self.query_one(w.StatusBar).tick)
        self.set_interval(self.header_every_s, lambda: self.refresher.mark("header"))

    # -- the refresh tasks ---------------------------------------------------------------

    async def _load_session(self) -> None:
        conn = self.feed.live
        assert conn is not None
        if self.session_id is None:
            key = self.session_key
            plan = store.find_session(key) if key else store.current_session(or_newest=True)
            sid = await arun(conn, plan)
            if sid is None:
                what = f"no session {key!r}" if key else "no session yet"
                self.query_one(w.StatusBar).show(session=what)
                self.loaded.set()
                return
            self.session_id = sid
        info = await arun(conn, store.session_summary(self.session_id))
        self.roster = await arun(conn, store.load_roster(self.session_id))
        self.roster_at = time.monotonic()
        sexes, ages = self.roster.categories()
        label = f"{info.session_name} (#{info.id})" if info else f"#{self.session_id}"
        if info and info.event_name:
            label += f" · {info.event_name}"
        self.query_one(w.StatusBar).show(session=label)
        self._set_choices("sex", [("All sexes", ALL), *((s, s) for s in sexes)])
        self._set_choices("age", [("All ages", ALL), *((a, a) for a in ages)])
        await self._load_views(conn)
        self.refresher.mark("crossings", "standings", "header", "search", urgent=True)

    async def _load_views(self, conn: psycopg.AsyncConnection[Any]) -> None:
        assert self.session_id is not None
        points = await arun(conn, store.location_order(self.session_id))
        views = [(f"Point {p}", f"point:{p}") for p in points]
        views += [(f"Race {name}", f"race:{rid}") for rid, name in self.roster.races]
        if not views:
            views = [("(no timing point yet)", ALL)]
        finish = store.default_point(points)
        preferred = f"point:{finish}" if finish is not None else views[-1][1]
        self._set_choices("view", views, preferred)

    def _set_choices(self, name: str, options: list[tuple[str, str]], prefer: str = ALL) -> None:
        if options == self.choices[name]:
            return
        keep = self.filters[name]
        self.choices[name] = options
        select: Select[str] = self.query_one(f"#{name}", Select)
        select.set_options(options)
        values = [v for _, v in options]
        value = keep if keep in values and keep != ALL else prefer if prefer in values else ALL
        select.value = value if value in values else values[0]
        self.filters[name] = select.value

    async def _refresh_crossings(self) -> None:
        if self.session_id is None or self.feed.live is None:
            return
        live, sid = self.feed.live, self.session_id
        rows = await arun(live, store.latest_reads(sid, self.roster, after_id=self.last_id))
        if rows:
            known = {v for _, v in self.choices["view"]}
            if any(f"point:{r.point}" not in known for r in rows):
                await self._load_views(live)
            self.show_crossings(rows)
        self.loaded.set()

    def show_crossings(self, rows: list[store.TimedRead]) -> None:
        """Put new crossings (newest first) at the top of the list."""
        self.latest.extendleft(w.crossing_row(c) for c in reversed(rows))
        self.last_id = max(self.last_id, rows[0].id)
        self.query_one("#crossings-table", LiveTable).set_rows(list(self.latest))

    def _showing(self, tab: str) -> bool:
        """Is ``tab`` on screen? Hidden tabs refresh when shown, not on every read."""
        if self.query_one(TabbedContent).active == tab:
            return True
        self._stale.add(tab)
        return False

    async def _refresh_standings(self) -> None:
        if self.session_id is None or self.feed.bulk is None or not self._showing("standings"):
            return
        if time.monotonic() - self.roster_at > ROSTER_EVERY_S:  # entries added mid-race
            self.roster = await arun(self.feed.bulk, store.load_roster(self.session_id))
            self.roster_at = time.monotonic()
        kind, _, key = self.filters["view"].partition(":")
        sex, age = self.filters["sex"] or None, self.filters["age"] or None
        rows: list[store.PointStanding] | list[store.RankedResult] = []
        if kind == "point":
            plan = store.point_standings(self.session_id, key, self.roster, sex=sex, age_group=age)
            rows = await arun(self.feed.bulk, plan)
        elif kind == "race":
            ranking = store.live_ranking(int(key), sex=sex, age_group=age)
            rows = await arun(self.feed.bulk, ranking)
        self.query_one("#standings-table", LiveTable).set_rows(rows)

    async def _refresh_header(self) -> None:
        if self.session_id is None or self.feed.bulk is None:
            return
        figures = await arun(self.feed.bulk, store.header_figures(self.session_id, self.clock()))
        self.query_one(w.StatusBar).show(figures=figures, online=True)

    async def _refresh_search(self) -> None:
        if self.session_id is None or self.feed.bulk is None or not self.search_text:
            return
        if not self._showing("search"):
            return
        plan = store.search_reads(self.session_id, self.search_text, self.roster)
        rows = await arun(self.feed.bulk, plan)
        self.query_one("#search-table", LiveTable).set_rows(list(map(w.search_row, rows)))
        tags = len({r.tag for r in rows})
        self.query_one("#search-summary", Static).update(
            Text(
                f"{len(rows)} read(s) of {tags} runner(s) matching {self.search_text!r}"
                if rows
                else f"nothing matches {self.search_text!r} in this session"
            )
        )

    # -- messages ------------------------------------------------------------------------

    @on(LiveFeed.Up)
    def _feed_up(self) -> None:
        self.query_one(w.Banner).report(None)
        self.query_one(w.StatusBar).show(online=True)
        self.refresher.mark("session")

    @on(LiveFeed.Down)
    def _feed_down(self, message: LiveFeed.Down) -> None:
        self.banner_shown += 1
        self.query_one(w.Banner).report(message.reason, message.attempt)
        self.query_one(w.StatusBar).show(online=False)

    @on(LiveFeed.Notified)
    def _notified(self, message: LiveFeed.Notified) -> None:
        if self.session_id is None:
            self.refresher.mark("session")
        elif self.session_id in message.event.session_ids:
            self.refresher.mark("crossings", "standings", "header", "search")

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

    @on(Input.Submitted, "#search-input")
    def _search(self, event: Input.Submitted) -> None:
        self.search_text = event.value.strip()
        self.refresher.mark("search", urgent=True)

    # -- actions -------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_search(self) -> None:
        self.action_show_tab("search")
        self.query_one("#search-input", Input).focus()

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
        self.last_id = 0
        self.latest.clear()
        self.search_text = ""
        self.filters = {"view": ALL, "sex": ALL, "age": ALL}
        for table in self.query(LiveTable):
            table.set_rows([])
        self.query_one("#search-summary", Static).update("")
        self.refresher.mark("session")
