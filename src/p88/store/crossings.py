"""Read-only queries behind the live leaderboard (``p88 tui``).

Everything here is a ``SELECT`` on an ``AsyncConnection``, so the TUI's event loop never
waits on a socket. Times are the controller's own wall clock (``read_timestamp``); an
elapsed time runs from the session's latest gun before the read, or, with no gun, from the
runner's first read of the session (their start-mat crossing). "Now" is always passed in,
so a frozen clock gives the same figures every time.

Runners' names, sexes and age groups come from the results tables (``ct_results``,
``ct_participants``; bib = tag) when they exist, through ``roster``; without them every
query still works and those columns are empty.
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
_NOBODY = sql.SQL(
    "LEFT JOIN LATERAL (SELECT NULL::text AS name, NULL::text AS sex, NULL::text AS age_group)"
    " p ON true"
)
_ROSTER = sql.SQL(
    "SELECT DISTINCT ON (coalesce(res.tag_code, res.bib)) coalesce(res.tag_code, res.bib) AS tag,"
    " res.bib, trim(pp.first_name || ' ' || pp.last_name) AS name, res.sex, res.age_group"
    " FROM ct_results res JOIN ct_races ra ON ra.id = res.race_id"
    " JOIN ct_participants pp ON pp.id = res.participant_id"
    " WHERE ra.session_id = %(roster_session)s"
    " ORDER BY coalesce(res.tag_code, res.bib), res.race_id"
)


@dataclass(frozen=True)
class Roster:
    """Who wears which tag in a session, from the results tables: a subquery of
    (tag, bib, name, sex, age_group) and the session's races; or nothing.

    ``load_roster`` builds it; ``Roster()`` is the empty roster (tags only, no names).
    """

    source: sql.Composable | None = None
    params: dict[str, Any] = field(default_factory=dict)
    races: tuple[tuple[int, str], ...] = ()

    def join(self, tag: str) -> sql.Composable:
        """A ``LEFT JOIN ... p`` giving p.name, p.sex, p.age_group for the tag column ``tag``."""
        if self.source is None:
            return _NOBODY
        return sql.SQL("LEFT JOIN ({src}) p ON p.tag = {tag}").format(
            src=self.source, tag=sql.SQL(tag)
        )

    async def tags_named(self, conn: psycopg.AsyncConnection[Any], text: str) -> list[str]:
        """Tags of runners whose bib is ``text`` or whose name contains it (any case)."""
        if self.source is None:
            return []
        query = sql.SQL(
            "SELECT x.tag FROM ({src}) x WHERE x.bib = %(text)s OR x.name ILIKE %(pat)s"
            " ORDER BY x.tag LIMIT 100"
        ).format(src=self.source)
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params = {"text": text, "pat": f"%{escaped}%", **self.params}
        return [r[0] for r in await _rows(conn, query, params)]

    async def categories(self, conn: psycopg.AsyncConnection[Any]) -> tuple[list[str], list[str]]:
        """The sexes and age groups present, for the standings filters."""
        if self.source is None:
            return [], []
        query = sql.SQL(
            "SELECT array_agg(DISTINCT x.sex) FILTER (WHERE x.sex IS NOT NULL),"
            " array_agg(DISTINCT x.age_group) FILTER (WHERE x.age_group IS NOT NULL)"
            " FROM ({src}) x"
        ).format(src=self.source)
        row = (await _rows(conn, query, self.params))[0]
        return sorted(row[0] or []), sorted(row[1] or [], key=_age_key)


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


async def list_sessions(conn: psycopg.AsyncConnection[Any], limit: int = 200) -> list[SessionInfo]:
    """Sessions newest first, with their read counts, for the session picker."""
    rows = await _rows(
        conn,
        sql.SQL(
            "SELECT s.id, s.session_name, s.event_name, s.status, s.created_at, "
            "(SELECT count(*) FROM timing_reads r WHERE r.session_id = s.id) "
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
    bookkeeping rows excepted) for this session or not yet bound to one.
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
            " (SELECT count(*) FROM timing_reads r WHERE r.session_id = %(s)s),"
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
        "SELECT r.id, r.read_timestamp, r.location_name, r.tag_code, p.name, {elapsed},"
        " r.reader_id, r.gator_number FROM timing_reads r {gun} {who}"
        " WHERE r.session_id = %(s)s AND r.id > %(after)s ORDER BY r.id DESC LIMIT %(limit)s"
    ).format(elapsed=_ELAPSED, gun=_GUN, who=roster.join("r.tag_code"))
    rows = await _rows(
        conn, query, {"s": session_id, "after": after_id, "limit": limit, **roster.params}
    )
    return [Crossing(*row) for row in rows]


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
    """First crossing per tag at ``point``, ranked by elapsed time, within the filters."""
    query = sql.SQL(
        "WITH firsts AS ("
        " SELECT DISTINCT ON (tag_code) id, session_id, tag_code, read_timestamp"
        " FROM timing_reads WHERE session_id = %(s)s AND location_name = %(point)s"
        " ORDER BY tag_code, read_timestamp, id"
        "), timed AS ("
        " SELECT r.tag_code, r.read_timestamp AS at, {elapsed} AS elapsed,"
        "  p.name, p.sex, p.age_group FROM firsts r {gun} {who}"
        " WHERE (%(sex)s::text IS NULL OR p.sex = %(sex)s)"
        "  AND (%(ag)s::text IS NULL OR p.age_group = %(ag)s)"
        ") SELECT row_number() OVER (ORDER BY elapsed, at, tag_code), tag_code, name, sex,"
        " age_group, elapsed, elapsed - min(elapsed) OVER ()"
        " FROM timed ORDER BY elapsed, at, tag_code LIMIT %(limit)s"
    ).format(elapsed=_ELAPSED, gun=_GUN, who=roster.join("r.tag_code"))
    params = {"s": session_id, "point": point, "sex": sex, "ag": age_group, "limit": limit}
    rows = await _rows(conn, query, {**params, **roster.params})
    return [Standing(int(r[0]), *r[1:]) for r in rows]


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
    tags = [text, *await roster.tags_named(conn, text)]
    query = sql.SQL(
        "SELECT r.id, r.read_timestamp, r.location_name, r.tag_code, p.name, {elapsed},"
        " r.reader_id, r.gator_number FROM timing_reads r {gun} {who}"
        " WHERE r.session_id = %(s)s AND r.tag_code = ANY(%(tags)s)"
        " ORDER BY r.tag_code, r.read_timestamp, r.id LIMIT %(limit)s"
    ).format(elapsed=_ELAPSED, gun=_GUN, who=roster.join("r.tag_code"))
    rows = await _rows(
        conn, query, {"s": session_id, "tags": tags, "limit": limit, **roster.params}
    )
    return [Crossing(*row) for row in rows]


async def load_roster(conn: psycopg.AsyncConnection[Any], session_id: int) -> Roster:
    """The session's roster from the results tables (races whose ``session_id`` is this
    session); the empty roster when those tables are missing or know no such race."""
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
    return Roster(_ROSTER, {"roster_session": session_id}, tuple((r[0], r[1]) for r in races))


async def race_standings(
    conn: psycopg.AsyncConnection[Any],
    race_id: int,
    *,
    sex: str | None = None,
    age_group: str | None = None,
    limit: int = STANDINGS_LIMIT,
) -> list[Standing]:
    """Finishers of a scored race in placing order (gun time, or chip time when the race
    places by chip), ranked again within the filter; ties share a place."""
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
