"""What scoring reads from a timing session: the gun, and the reads it has not scored yet."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from p88.errors import RefusedError
from p88.store.results.crossings import AMBIGUOUS_TAG, UNKNOWN_TAG
from p88.store.results.guns import GUN_MATCH, pick_race_gun

if TYPE_CHECKING:
    import psycopg

SESSION_DAY_SLACK = timedelta(days=1)  # a race past midnight, a rehearsal the day before
ID_SLACK = 20_000  # read ids below the highest scored one that may still commit late


def session_guns(conn: psycopg.Connection[Any], session_id: int) -> list[datetime]:
    """The session's gun events, earliest first."""
    rows = conn.execute(
        "SELECT gun_timestamp FROM timing_gun_events WHERE session_id = %s ORDER BY gun_timestamp",
        (session_id,),
    ).fetchall()
    return [r[0] for r in rows]


def race_gun(
    conn: psycopg.Connection[Any], session_id: int, scheduled: datetime | None
) -> tuple[datetime | None, str]:
    """The race's gun (:func:`p88.store.results.guns.pick_race_gun` over the session's gun
    events)."""
    guns = session_guns(conn, session_id)
    return pick_race_gun(guns, scheduled)


def gun_far_from_start(
    conn: psycopg.Connection[Any], session_id: int, scheduled: datetime | None
) -> str | None:
    """A warning when the session has gun events but none within an hour of the race's
    scheduled start: the race is then timed from its scheduled start, which is right only
    if the guns belong to another race. Says what to fix."""
    if scheduled is None:
        return None
    guns = session_guns(conn, session_id)
    if not guns or any(abs(g - scheduled) <= GUN_MATCH for g in guns):
        return None
    nearest = min(guns, key=lambda g: abs(g - scheduled))
    return (
        f"gun event at {nearest} is more than an hour from the race's scheduled start "
        f"{scheduled}: timed from the scheduled start; if the race started then, set its start "
        "(p88 results new-race --start, or the race's start_time)"
    )


def gun_news(conn: psycopg.Connection[Any], race_id: int, session: int) -> bool:
    """True when the race was never scored, or gun events arrived since its last run."""
    row = conn.execute(
        "SELECT max(started_at) FROM ct_scoring_runs WHERE race_id = %s AND session_id = %s",
        (race_id, session),
    ).fetchone()
    if row is None or row[0] is None:
        return True
    news = conn.execute(
        "SELECT 1 FROM timing_gun_events WHERE session_id = %s AND received_at >= %s LIMIT 1",
        (session, row[0]),
    ).fetchone()
    return news is not None


def newly_known_tags(
    conn: psycopg.Connection[Any], race_id: int, by_tag: dict[str, list[tuple[int, str]]]
) -> list[str]:
    """Tags once unknown (or shared) that an entry now carries: a late registration."""
    rows = conn.execute(
        "SELECT DISTINCT tag_code, verdict FROM ct_read_verdicts WHERE race_id = %s "
        "AND result_id IS NULL AND verdict IN (%s, %s)",
        (race_id, UNKNOWN_TAG, AMBIGUOUS_TAG),
    ).fetchall()
    return [
        tag
        for tag, verdict in rows
        if (verdict == UNKNOWN_TAG and by_tag.get(tag))
        or (verdict == AMBIGUOUS_TAG and len(by_tag.get(tag, ())) == 1)
    ]


def reads_to_score(
    conn: psycopg.Connection[Any],
    race_id: int,
    session: int,
    locations: list[str],
    full: bool,
    late_tags: list[str],
) -> tuple[list[tuple[int, str, str, datetime]], int]:
    """The reads to (re)score and how many of them are new.

    Full: every read at the race's points. Otherwise the reads without a verdict, and all
    reads of their tags (a new read can change which read of a tag counts), and of tags
    that an entry now carries. Reads without a verdict are looked for above the highest
    read id already scored, less ``ID_SLACK``: a read whose id was taken before others'
    but committed after them (a concurrent writer's batch) is still found, without
    scanning every read of the session on each run. ``--full`` (and ``--final``) look at all.
    """
    if full:
        rows = conn.execute(
            "SELECT id, location_name, tag_code, read_timestamp FROM timing_reads "
            "WHERE session_id = %s AND location_name = ANY(%s)",
            (session, locations),
        ).fetchall()
        return rows, len(rows)
    mark = conn.execute(
        "SELECT coalesce(max(read_id), 0) FROM ct_read_verdicts WHERE race_id = %s", (race_id,)
    ).fetchone()
    since = (mark[0] if mark else 0) - ID_SLACK
    new = conn.execute(
        "SELECT DISTINCT r.tag_code, count(*) OVER () FROM timing_reads r "
        "WHERE r.id > %s AND r.session_id = %s AND r.location_name = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM ct_read_verdicts v WHERE v.race_id = %s AND v.read_id = r.id)",
        (since, session, locations, race_id),
    ).fetchall()
    if not new and not late_tags:
        return [], 0
    rows = conn.execute(
        "SELECT id, location_name, tag_code, read_timestamp FROM timing_reads "
        "WHERE session_id = %s AND location_name = ANY(%s) AND tag_code = ANY(%s)",
        (session, locations, [t for t, _ in new] + late_tags),
    ).fetchall()
    return rows, int(new[0][1]) if new else 0


def session_label(conn: psycopg.Connection[Any], session: int) -> str:
    row = conn.execute(
        "SELECT session_name FROM timing_sessions WHERE id = %s", (session,)
    ).fetchone()
    return f"{row[0]!r} ({session})" if row else str(session)


def check_session_dates(
    conn: psycopg.Connection[Any], session: int, race_id: int, race_day: date
) -> None:
    """Refuse to score a race from reads dated far from its day: a capture loaded with the
    wrong (or today's default) date would give chip times of days, silently."""
    row = conn.execute(
        "SELECT min(first_read), max(last_read) FROM timing_read_totals WHERE session_id = %s",
        (session,),
    ).fetchone()
    if row is None or row[0] is None:
        return
    first, last = row[0].date(), row[1].date()
    if first <= race_day + SESSION_DAY_SLACK and last >= race_day - SESSION_DAY_SLACK:
        return
    span = str(first) if first == last else f"{first} to {last}"
    raise RefusedError(
        f"session {session_label(conn, session)} has reads dated {span}, but race {race_id} "
        f"is on {race_day}: re-import the capture with --date {race_day} into a new session "
        "(or fix the race's date)",
        rule="session-date",
    )
