"""Races: what a leaderboard names, and a race's standings in its two kinds.

- ``official_standings``: the places results scoring (or an imported official result)
  *stored* (``overall_place``, ``sex_place``, ``age_group_place``), so a correction shows
  as recorded: ``p88 serve``'s race leaderboard, ``p88 results standings``.
- ``live_ranking``: the race's finishers ranked on the fly by their stored times inside any
  mix of sex and age-group filters, with the gap to the filter's leader: ``p88 tui``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from psycopg import sql

from p88.errors import UnknownRace
from p88.store.queries.plan import Plan, Query, where

STANDINGS_LIMIT = 10_000

_SUMMARY = sql.SQL(
    "SELECT r.id, r.name, r.distance_m, e.name, r.partner_id, r.place_by, r.session_id"
    " FROM ct_races r JOIN ct_events e ON e.id = r.event_id"
)


@dataclass(frozen=True)
class RaceSummary:
    """A race as a leaderboard names it."""

    id: int
    name: str
    distance_m: int
    event_name: str
    partner_id: int
    place_by: str
    session_id: int | None


@dataclass(frozen=True)
class OfficialResult:
    """One stored result of a race; ``place`` is the overall place."""

    place: int | None
    bib: str
    tag_code: str | None
    first_name: str
    last_name: str
    sex: str | None
    age_group: str | None
    sex_place: int | None
    age_group_place: int | None
    chip_time: timedelta | None
    gun_time: timedelta | None
    status: str | None
    source: str
    note: str | None = None
    masters_place: int | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class RankedResult:
    """One line of a live ranking; ``place`` and ``gap`` are within the filter."""

    place: int
    bib: str
    name: str | None
    sex: str | None
    age_group: str | None
    time: timedelta | None
    gap: timedelta | None


def race_summary(race_id: int) -> Plan[RaceSummary | None]:
    """The race with its event's name, or ``None`` if there is no such race."""
    rows = yield Query(_SUMMARY + sql.SQL(" WHERE r.id = %(race)s"), {"race": race_id})
    return RaceSummary(*rows[0]) if rows else None


def session_races(session_id: int) -> Plan[list[RaceSummary]]:
    """The races timed by a session (``ct_races.session_id``), by id."""
    rows = yield Query(
        _SUMMARY + sql.SQL(" WHERE r.session_id = %(s)s ORDER BY r.id"), {"s": session_id}
    )
    return [RaceSummary(*row) for row in rows]


def official_standings(
    race_id: int,
    *,
    sex: str | None = None,
    age_group: str | None = None,
    everyone: bool = False,
    limit: int = 20,
) -> Plan[list[OfficialResult]]:
    """Finishers in stored place order (overall, or the filter's division); with
    ``everyone``, then the runners without a place (held for review, started, DNF, DQ),
    each with its note (why it is held). InputError if the race does not exist."""
    clauses: list[sql.Composable] = [sql.SQL("r.race_id = %(race)s")]
    order = sql.SQL("r.overall_place")
    if not everyone:
        clauses.append(sql.SQL("r.status = 'finished'"))
    if sex is not None:
        clauses.append(sql.SQL("r.sex = %(sex)s"))
        order = sql.SQL("r.sex_place")
    if age_group is not None:
        clauses.append(sql.SQL("r.age_group = %(ag)s"))
        order = sql.SQL("r.age_group_place")
    rows = yield Query(
        sql.SQL(
            "SELECT r.overall_place, r.bib, r.tag_code, p.first_name, p.last_name, r.sex,"
            " r.age_group, r.sex_place, r.age_group_place, r.chip_time, r.gun_time, r.status,"
            " r.source, r.note, r.masters_place"
            " FROM ct_results r JOIN ct_participants p ON p.id = r.participant_id"
            "{where} ORDER BY {order} NULLS LAST, r.chip_time NULLS LAST, r.bib"
            " LIMIT %(limit)s"
        ).format(where=where(clauses), order=order),
        {"race": race_id, "sex": sex, "ag": age_group, "limit": limit},
    )
    if not rows:
        found = yield Query(
            sql.SQL("SELECT 1 FROM ct_races WHERE id = %(race)s"), {"race": race_id}
        )
        if not found:
            raise UnknownRace(race_id)
    return [OfficialResult(*row) for row in rows]


def live_ranking(
    race_id: int,
    *,
    sex: str | None = None,
    age_group: str | None = None,
    limit: int = STANDINGS_LIMIT,
) -> Plan[list[RankedResult]]:
    """Finishers of a race ranked by time now (gun time, or chip time when the race places
    by chip) inside the filters; ties share a place."""
    rows = yield Query(
        sql.SQL(
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
        ),
        {"race": race_id, "sex": sex, "ag": age_group, "limit": limit},
    )
    return [RankedResult(int(r[0]), *r[1:]) for r in rows]
