"""Read-only queries behind the live leaderboard (``p88 tui``).

Everything here is a ``SELECT`` on an ``AsyncConnection``, so the TUI's event loop never
waits on a socket. Times are the controller's own wall clock (``read_timestamp``); an
elapsed time runs from the session's latest gun before the read, or, with no gun, from the
runner's first read of the session (their start-mat crossing). "Now" is always passed in,
so a frozen clock gives the same figures every time.

Runners' names, sexes and age groups come from the results tables (``ct_results``,
``ct_participants``; bib = tag) when they exist: ``load_roster`` reads a session's entries
once into memory and the queries join them in Python. (Joined in SQL, the planner picked a
nested loop over the whole roster for every new read: 250 ms for 200 rows.) Without those
tables every query still works and those columns are empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    import psycopg

LATEST_LIMIT = 200
STANDINGS_LIMIT = 10_000
SEARCH_LIMIT = 1_000

_GUN = sql.SQL(
    "LEFT JOIN LATERAL (SELECT max(g.gun_timestamp) AS gun FROM timing_gun_events g "
    "WHERE g.session_id = r.session_id AND g.gun_timestamp <= r.read_timestamp) gun ON true "
    "LEFT JOIN LATERAL (SELECT min(r0.read_timestamp) AS t0 FROM timing_reads r0 "
    "WHERE r0.session_id = r.session_id AND r0.tag_code = r.tag_code) st ON true"
)
_ELAPSED = sql.SQL("r.read_timestamp - coalesce(gun.gun, st.t0)")
_CROSSING = sql.SQL(
    "r.id, r.read_timestamp, r.location_name, r.tag_code,"
    " r.read_timestamp - coalesce(gun.gun, st.t0), r.reader_id, r.gator_number"
)
_ROSTER = sql.SQL(
    "SELECT coalesce(res.tag_code, res.bib), res.bib,"
    " trim(pp.first_name || ' ' || pp.last_name), res.sex, res.age_group"
    " FROM ct_results res JOIN ct_races ra ON ra.id = res.race_id"
    " JOIN ct_participants pp ON pp.id = res.participant_id"
    " WHERE ra.session_id = %(s)s ORDER BY res.race_id DESC, res.id DESC"
)


@dataclass(frozen=True)
class Runner:
    """One entry of the results tables: who wears a tag."""

    bib: str
    name: str
    sex: str | None
    age_group: str | None


@dataclass(frozen=True)
class Roster:
    """Who wears which tag in a session, and the session's scored races; or nobody.

    ``load_roster`` builds it; ``Roster()`` is the empty roster (tags only, no names).
    """

    runners: dict[str, Runner] = field(default_factory=dict)
    races: tuple[tuple[int, str], ...] = ()

    def name(self, tag: str) -> str | None:
        runner = self.runners.get(tag)
        return runner.name if runner else None

    def tags_named(self, text: str) -> list[str]:
        """Tags of runners whose bib is ``text`` or whose name contains it (any case)."""
        needle = text.casefold()
        return sorted(
            tag for tag, r in self.runners.items() if r.bib == text or needle in r.name.casefold()
        )[:100]

    def categories(self) -> tuple[list[str], list[str]]:
        """The sexes and age groups present, for the standings filters."""
        sexes = {r.sex for r in self.runners.values() if r.sex}
        groups = {r.age_group for r in self.runners.values() if r.age_group}
        return sorted(sexes), sorted(groups, key=_age_key)


def _age_key(group: str) -> tuple[int, str]:
    digits = "".join(ch if ch.isdigit() else " " for ch in group).split()
    return (int(digits[0]) if digits else -1, group)


@dataclass(frozen=True)
class SessionInfo:
    """A timing session as the picker lists it."""

    id: int
    name: str
    event: str | None
    status: str | None
    created_at: datetime | None
    total_reads: int


@dataclass(frozen=True)
class HeaderFigures:
    """What the crew checks at a glance: are the mats alive."""

    controllers: int
    reads_per_minute: int
    total_reads: int
    rejects: int
    last_read_at: datetime | None


@dataclass(frozen=True)
class Crossing:
    """One read as the crossings list and the search show it."""

    id: int
    at: datetime
    point: str
    tag: str
    name: str | None
    elapsed: timedelta | None
    reader: str = ""
    antenna: int = 0


@dataclass(frozen=True)
class Standing:
    """One line of a standings table; ``place`` and ``gap`` are within the filter."""

    place: int
    bib: str
    name: str | None
    sex: str | None
    age_group: str | None
    time: timedelta | None
    gap: timedelta | None


async def _rows(
    conn: psycopg.AsyncConnection[Any], query: sql.SQL | sql.Composed, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    cur = await conn.execute(query, params)
    return list(await cur.fetchall())


def _crossing(row: tuple[Any, ...], roster: Roster) -> Crossing:
    read_id, at, point, tag, elapsed, reader, antenna = row
    return Crossing(read_id, at, point, tag, roster.name(tag), elapsed, reader, antenna)


async def list_sessions(conn: psycopg.AsyncConnection[Any], limit: int = 200) -> list[SessionInfo]:
    """Sessions newest first, with their read counts (from the read totals, as the
    header's), for the session picker."""
    rows = await _rows(
        conn,
        sql.SQL(
            "SELECT s.id, s.session_name, s.event_name, s.status, s.created_at, "
            "(SELECT coalesce(sum(t.read_count), 0) FROM timing_read_totals t"
            " WHERE t.session_id = s.id) "
            "FROM timing_sessions s ORDER BY s.id DESC LIMIT %(limit)s"
        ),
        {"limit": limit},
    )
    return [SessionInfo(r[0], r[1], r[2], r[3], r[4], int(r[5])) for r in rows]


async def default_session(conn: psycopg.AsyncConnection[Any]) -> int | None:
    """The session to open with: the newest active one, else the newest."""
    rows = await _rows(
        conn,
        sql.SQL(
            "SELECT id FROM timing_sessions "
            "ORDER BY (status = 'active') DESC NULLS LAST, id DESC LIMIT 1"
        ),
        {},
    )
    return int(rows[0][0]) if rows else None


async def find_session(conn: psycopg.AsyncConnection[Any], key: str) -> int | None:
    """A session by id or by exact name."""
    rows = await _rows(
        conn,
        sql.SQL(
            "SELECT id FROM timing_sessions WHERE session_name = %(key)s "
            "OR (%(key)s ~ '^[0-9]{1,9}$' AND id = %(key)s::int) ORDER BY id LIMIT 1"
        ),
        {"key": key},
    )
    return int(rows[0][0]) if rows else None


async def session_info(conn: psycopg.AsyncConnection[Any], session_id: int) -> SessionInfo | None:
    """One session's name and event (no read count: that is the header's job)."""
    rows = await _rows(
        conn,
        sql.SQL(
            "SELECT id, session_name, event_name, status, created_at "
            "FROM timing_sessions WHERE id = %(s)s"
        ),
        {"s": session_id},
    )
    if not rows:
        return None
    r = rows[0]
    return SessionInfo(r[0], r[1], r[2], r[3], r[4], 0)


async def locations(conn: psycopg.AsyncConnection[Any], session_id: int) -> list[str]:
    """The session's timing points, in the order they were first seen."""
    rows = await _rows(
        conn,
        sql.SQL(
            "SELECT location_name FROM ("
            " SELECT location_name, min(id) AS first FROM timing_locations"
            " WHERE session_id = %(s)s GROUP BY location_name"
            " UNION ALL"
            " SELECT location_name, NULL FROM (SELECT DISTINCT location_name FROM timing_reads"
            " WHERE session_id = %(s)s) d) x "
            "GROUP BY location_name ORDER BY min(first) NULLS LAST, location_name"
        ),
        {"s": session_id},
    )
    return [r[0] for r in rows]


async def header_figures(
    conn: psycopg.AsyncConnection[Any], session_id: int, now: datetime
) -> HeaderFigures:
    """Controllers connected, reads in the minute before ``now``, totals and the last read.

    A controller is a ``connection_log`` row with no ``disconnected_at`` (the archive's
    bookkeeping rows excepted) for this session or not yet bound to one. The total comes
    from migration 005's read totals: this runs every second, and count(*) over a session
    of a million reads took 57 ms, the totals 0.2 ms.
    """
    rows = await _rows(
        conn,
        sql.SQL(
            "SELECT"
            " (SELECT count(*) FROM connection_log c WHERE c.disconnected_at IS NULL"
            "   AND (c.session_id = %(s)s OR c.session_id IS NULL)"
            "   AND (c.session_info IS NULL OR c.session_info->>'action' IS NULL)),"
            " (SELECT count(*) FROM timing_reads r WHERE r.session_id = %(s)s"
            "   AND r.received_at > %(since)s AND r.received_at <= %(now)s),"
            " (SELECT coalesce(sum(t.read_count), 0) FROM timing_read_totals t"
            "   WHERE t.session_id = %(s)s),"
            " (SELECT count(*) FROM rejected_lines j WHERE j.session_id = %(s)s),"
            " (SELECT r.received_at FROM timing_reads r WHERE r.session_id = %(s)s"
            "   ORDER BY r.id DESC LIMIT 1)"
        ),
        {"s": session_id, "now": now, "since": now - timedelta(minutes=1)},
    )
    c, rpm, total, rejects, last = rows[0]
    return HeaderFigures(int(c), int(rpm), int(total), int(rejects), last)


async def crossings(
    conn: psycopg.AsyncConnection[Any],
    session_id: int,
    roster: Roster,
    *,
    after_id: int = 0,
    limit: int = LATEST_LIMIT,
) -> list[Crossing]:
    """Reads of the session with ``id > after_id``, newest first, at most ``limit``."""
    query = sql.SQL(
        "SELECT {cols} FROM timing_reads r {gun}"
        " WHERE r.session_id = %(s)s AND r.id > %(after)s ORDER BY r.id DESC LIMIT %(limit)s"
    ).format(cols=_CROSSING, gun=_GUN)
    rows = await _rows(conn, query, {"s": session_id, "after": after_id, "limit": limit})
    return [_crossing(row, roster) for row in rows]


async def point_standings(
    conn: psycopg.AsyncConnection[Any],
    session_id: int,
    point: str,
    roster: Roster,
    *,
    sex: str | None = None,
    age_group: str | None = None,
    limit: int = STANDINGS_LIMIT,
) -> list[Standing]:
    """First crossing per tag at ``point``, ranked by elapsed time (ties: who crossed
    first), within the filters; place and gap count only runners inside the filter."""
    query = sql.SQL(
        "WITH firsts AS ("
        " SELECT DISTINCT ON (tag_code) id, session_id, tag_code, read_timestamp"
        " FROM timing_reads WHERE session_id = %(s)s AND location_name = %(point)s"
        " ORDER BY tag_code, read_timestamp, id"
        ") SELECT r.tag_code, {elapsed} AS elapsed FROM firsts r {gun}"
        " ORDER BY elapsed, r.read_timestamp, r.tag_code"
    ).format(elapsed=_ELAPSED, gun=_GUN)
    rows = await _rows(conn, query, {"s": session_id, "point": point})
    standings: list[Standing] = []
    leader: timedelta | None = None
    for tag, elapsed in rows:
        runner = roster.runners.get(tag)
        if sex is not None and (runner is None or runner.sex != sex):
            continue
        if age_group is not None and (runner is None or runner.age_group != age_group):
            continue
        if leader is None:
            leader = elapsed
        gap = elapsed - leader if elapsed is not None and leader is not None else None
        standings.append(
            Standing(
                len(standings) + 1,
                tag,
                runner.name if runner else None,
                runner.sex if runner else None,
                runner.age_group if runner else None,
                elapsed,
                gap,
            )
        )
        if len(standings) >= limit:
            break
    return standings


async def search_reads(
    conn: psycopg.AsyncConnection[Any],
    session_id: int,
    text: str,
    roster: Roster,
    *,
    limit: int = SEARCH_LIMIT,
) -> list[Crossing]:
    """Every read, at every point, of the runner(s) whose bib/tag is ``text`` or whose
    name contains it; grouped by tag, in time order."""
    text = text.strip()
    if not text:
        return []
    tags = [text, *roster.tags_named(text)]
    query = sql.SQL(
        "SELECT {cols} FROM timing_reads r {gun}"
        " WHERE r.session_id = %(s)s AND r.tag_code = ANY(%(tags)s)"
        " ORDER BY r.tag_code, r.read_timestamp, r.id LIMIT %(limit)s"
    ).format(cols=_CROSSING, gun=_GUN)
    rows = await _rows(conn, query, {"s": session_id, "tags": tags, "limit": limit})
    return [_crossing(row, roster) for row in rows]


async def load_roster(conn: psycopg.AsyncConnection[Any], session_id: int) -> Roster:
    """The session's entries from the results tables (races whose ``session_id`` is this
    session; a tag in two races counts for the newest); empty without those tables."""
    rows = await _rows(conn, sql.SQL("SELECT to_regclass('ct_results') IS NOT NULL"), {})
    if not rows[0][0]:
        return Roster()
    races = await _rows(
        conn,
        sql.SQL("SELECT id, name FROM ct_races WHERE session_id = %(s)s ORDER BY id"),
        {"s": session_id},
    )
    if not races:
        return Roster()
    runners: dict[str, Runner] = {}
    for tag, bib, name, sex, group in await _rows(conn, _ROSTER, {"s": session_id}):
        runners.setdefault(tag, Runner(bib, name, sex, group))
    return Roster(runners, tuple((r[0], r[1]) for r in races))


async def race_standings(
    conn: psycopg.AsyncConnection[Any],
    race_id: int,
    *,
    sex: str | None = None,
    age_group: str | None = None,
    limit: int = STANDINGS_LIMIT,
) -> list[Standing]:
    """Finishers of a scored race in placing order (gun time, or chip time when the race
    places by chip), ranked again within the filter; ties share a place.

    Unlike :func:`p88.store.results.race_standings` (stored places, for serve and the
    CLI), this ranks by time inside any mix of sex and age-group filters and gives the gap
    to the filter's leader, which is what a live screen shows."""
    query = sql.SQL(
        "WITH placed AS ("
        " SELECT res.bib, trim(pp.first_name || ' ' || pp.last_name) AS name, res.sex,"
        "  res.age_group, CASE WHEN ra.place_by = 'chip' THEN res.chip_time"
        "  ELSE coalesce(res.gun_time, res.chip_time) END AS t"
        " FROM ct_results res JOIN ct_races ra ON ra.id = res.race_id"
        " JOIN ct_participants pp ON pp.id = res.participant_id"
        " WHERE res.race_id = %(race)s AND res.status = 'finished'"
        "  AND (%(sex)s::text IS NULL OR res.sex = %(sex)s)"
        "  AND (%(ag)s::text IS NULL OR res.age_group = %(ag)s)"
        ") SELECT rank() OVER (ORDER BY t NULLS LAST), bib, name, sex, age_group, t,"
        " t - min(t) OVER () FROM placed ORDER BY t NULLS LAST, bib LIMIT %(limit)s"
    )
    rows = await _rows(conn, query, {"race": race_id, "sex": sex, "ag": age_group, "limit": limit})
    return [Standing(int(r[0]), *r[1:]) for r in rows]
