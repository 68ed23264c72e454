"""``LiveBoard``: the leaderboard's state and the tasks that refresh it from PostgreSQL.

Data flows one way: ``LiveFeed`` relays NOTIFYs as messages; each kind of refresh
(session, crossings, reads, standings, announcer, header, search) is one long-lived task
(``Refresher``) that waits for its "due" flag, queries, and updates its widget. A burst of
notifications therefore coalesces into one query per task instead of a queue of them, and
a slow standings query never holds up the crossings list. A failed query hands the error
to the feed, which reconnects and sets every flag again; no exception reaches Textual.

``LeaderboardApp`` (``app.py``) adds the screen: its widgets, keys and messages.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from textual.app import App
from textual.widgets import Select, Static, TabbedContent

from p88 import store
from p88.store import arun, describe
from p88.tui import widgets as w
from p88.tui.card import RunnerCard
from p88.tui.feed import HEALTH_S, RETRY_S, LiveFeed
from p88.tui.refresh import Refresher
from p88.tui.status import Elsewhere, StatusBar
from p88.tui.table import LiveTable

Clock = Callable[[], datetime]
ALL = ""
ROSTER_EVERY_S = 30.0
#: Projections look minutes ahead, and ranking every point is the costliest refresh:
#: the announcer's list is redone at most this often (at once when its tab is shown).
ANNOUNCER_EVERY_S = 5.0
TASKS = ("session", "crossings", "reads", "standings", "announcer", "header", "search")


def utc_now() -> datetime:
    return datetime.now(UTC)


def newest_first(crossings: Iterable[store.Crossing]) -> list[store.Crossing]:
    """Crossings newest first (crossing time, then read id), one per runner and point (the
    first given wins: pass the new ones first), at most ``LATEST_LIMIT``."""
    seen: dict[tuple[str, str], store.Crossing] = {}
    for c in crossings:
        seen.setdefault((c.point, c.tag), c)
    ordered = sorted(seen.values(), key=lambda c: (c.at, c.read_id), reverse=True)
    return ordered[: store.LATEST_LIMIT]


class LiveBoard(App[None]):
    """What the leaderboard shows, and one refresh task per kind of data (see above)."""

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
        self.reads_last_id = 0
        self.crossings: list[store.Crossing] = []
        self.reads: deque[store.TimedRead] = deque(maxlen=store.LATEST_LIMIT)
        self.rankings: dict[str, store.Ranking] = {}  # each point's standings, kept live
        self.roster = store.Roster()
        self.roster_at = 0.0
        self.choices: dict[str, list[tuple[str, str]]] = {"view": [], "sex": [], "age": []}
        self.filters = {"view": ALL, "sex": ALL, "age": ALL}
        self.points: list[str] = []
        self.search_text = ""
        self.loaded = asyncio.Event()
        self.banner_shown = 0
        self.elsewhere = Elsewhere()
        self.status_bar = StatusBar(clock, id="status")  # timers reach it, even at exit
        self.refresher = Refresher(self, self.feed, TASKS)
        self._stale: set[str] = set()

    def start_refreshing(self) -> None:
        """Start every refresh task (from ``on_mount``)."""
        start = self.refresher.start
        start("session", self._load_session)
        start("crossings", self._refresh_crossings)
        start("reads", self._refresh_reads)
        start("standings", self._refresh_standings, self.standings_every_s)
        start("announcer", self._refresh_announcer, ANNOUNCER_EVERY_S)
        start("header", self._refresh_header, 1.0)
        start("search", self._refresh_search, self.standings_every_s)

    async def _load_session(self) -> None:
        conn = self.feed.live
        assert conn is not None
        if self.session_id is None:
            key = self.session_key
            plan = store.find_session(key) if key else store.current_session(or_newest=True)
            sid = await arun(conn, plan)
            if sid is None:
                what = f"no session {key!r}" if key else "no session yet"
                self.status_bar.show(session=what)
                self.loaded.set()
                return
            self.session_id = sid
        info = await arun(conn, store.session_summary(self.session_id))
        self.set_roster(await arun(conn, store.load_roster(self.session_id)))
        sexes, ages = self.roster.categories()
        label = f"{info.session_name} (#{info.id})" if info else f"#{self.session_id}"
        if info and info.event_name:
            label += f" · {info.event_name}"
        self.status_bar.show(session=label)
        self._set_choices("sex", [("All sexes", ALL), *((s, s) for s in sexes)])
        self._set_choices("age", [("All ages", ALL), *((a, a) for a in ages)])
        await self._load_views(conn)
        self.last_id = 0  # the roster may name runners differently now: recount every point
        self.refresher.mark(
            "crossings", "reads", "standings", "announcer", "header", "search", urgent=True
        )

    def set_roster(self, roster: store.Roster) -> None:
        """A new roster: the points' kept standings go, as names and rules may have changed."""
        self.roster = roster
        self.roster_at = time.monotonic()
        self.rankings.clear()

    async def _load_views(self, conn: psycopg.AsyncConnection[Any]) -> None:
        assert self.session_id is not None
        self.points = await arun(conn, store.location_order(self.session_id))
        views = [(f"Point {p}", f"point:{p}") for p in self.points]
        views += [(f"Race {name}", f"race:{rid}") for rid, name in self.roster.races]
        if not views:
            views = [("(no timing point yet)", ALL)]
        finish = store.default_point(self.points)
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

    def card_point(self) -> str | None:
        """The runner card's point: the standings' point when one is chosen, else the
        session's default point (the finish)."""
        kind, _, key = self.filters["view"].partition(":")
        return key if kind == "point" else store.default_point(self.points)

    async def _refresh_crossings(self) -> None:
        """New reads -> the crossings they made (``store.crossings``: only the new reads'
        runners are timed, and ranked into each point's kept standings), merged into the
        list; at first (or after a reload) every crossing of every point."""
        if self.session_id is None or self.feed.live is None:
            return
        live, sid = self.feed.live, self.session_id
        after = self.last_id
        ids, touched = await arun(live, store.new_reads(sid, after))
        if self.last_id != after:
            return  # the session was reloaded meanwhile: that refresh starts over
        if ids:
            if any(p not in self.points for p in touched):
                await self._load_views(live)
            if after == 0:
                plan = store.crossings(sid, self.roster, points=self.points)
                self.show_crossings(newest_first(await arun(live, plan)))
            else:
                plan = store.crossings(
                    sid, self.roster, points=touched, read_ids=ids, rankings=self.rankings
                )
                self.show_crossings(newest_first([*await arun(live, plan), *self.crossings]))
            self.last_id = ids[-1]
        await self._refresh_card(live, touched, whole=after == 0)
        self.loaded.set()

    def show_crossings(self, rows: list[store.Crossing]) -> None:
        """The crossings list, newest first."""
        self.crossings = rows
        self.query_one("#crossings-table", LiveTable).set_rows(rows)

    async def _refresh_card(
        self, conn: psycopg.AsyncConnection[Any], touched: Sequence[str], *, whole: bool
    ) -> None:
        """The card shows the newest crossing at its point: again when that point had
        reads (``touched``), when everything was reloaded, or when the point changed."""
        assert self.session_id is not None
        card = self.query_one(RunnerCard)
        point = self.card_point()
        moved = (point or "") != card.point
        card.point = point or ""
        if point is None or not (whole or moved or point in touched):
            return
        newest = next((c for c in self.crossings if c.point == point), None)
        if newest is None:  # crowded out of the list by other points' crossings
            plan = store.recent_crossings(self.session_id, self.roster, point=point, limit=1)
            rows = await arun(conn, plan)
            newest = rows[-1] if rows else None
        if newest != card.crossing:
            self.show_card(newest)

    def show_card(self, crossing: store.Crossing | None) -> None:
        """Put ``crossing`` on the runner card."""
        self.query_one(RunnerCard).crossing = crossing

    async def _refresh_reads(self) -> None:
        if self.session_id is None or self.feed.live is None or not self._showing("reads"):
            return
        plan = store.latest_reads(self.session_id, self.roster, after_id=self.reads_last_id)
        rows = await arun(self.feed.live, plan)
        if rows:
            self.reads.extendleft(reversed(rows))
            self.reads_last_id = max(self.reads_last_id, rows[0].id)
            self.query_one("#reads-table", LiveTable).set_rows(list(self.reads))

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
            self.set_roster(await arun(self.feed.bulk, store.load_roster(self.session_id)))
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

    async def _refresh_announcer(self) -> None:
        if self.session_id is None or self.feed.bulk is None or not self._showing("announcer"):
            return
        finish = store.default_point(self.points)
        plan = store.coming_up(self.session_id, self.roster, finish=finish)
        rows = await arun(self.feed.bulk, plan)
        self.query_one("#announcer-table", LiveTable).set_rows(rows)
        summary = w.announcer_summary(rows, self.roster, finish)
        self.query_one("#announcer-summary", Static).update(summary)

    async def _refresh_header(self) -> None:
        if self.session_id is None or self.feed.bulk is None:
            return
        figures = await arun(self.feed.bulk, store.header_figures(self.session_id, self.clock()))
        self.status_bar.show(figures=figures, online=True)

    async def _refresh_search(self) -> None:
        if self.session_id is None or self.feed.bulk is None or not self.search_text:
            return
        if not self._showing("search"):
            return
        plan = store.search_reads(self.session_id, self.search_text, self.roster)
        rows = await arun(self.feed.bulk, plan)
        self.query_one("#search-table", LiveTable).set_rows(rows)
        self.query_one("#search-summary", Static).update(w.search_summary(rows, self.search_text))
