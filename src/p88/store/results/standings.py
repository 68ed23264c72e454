"""A race's standings as results scoring (or an import) placed them: one query for
``p88 serve``'s leaderboard and ``p88 results standings``.

The places are the stored ones (``overall_place``, ``sex_place``, ``age_group_place``),
so a correction or an imported official result shows as it was recorded. With a sex or
age-group filter the rows come in that division's place order. ``p88 tui`` ranks live by
time inside its filters instead (:func:`p88.store.crossings.race_standings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from psycopg import sql

from p88.errors import InputError

if TYPE_CHECKING:
    import psycopg

__all__ = ["RaceStanding", "race_standings"]


@dataclass(frozen=True)
class RaceStanding:
    """One result of a race; ``place`` is the overall place."""

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


def race_standings(
    conn: psycopg.Connection[Any],
    race_id: int,
    *,
    sex: str | None = None,
    age_group: str | None = None,
    everyone: bool = False,
    limit: int = 20,
) -> list[RaceStanding]:
    """Finishers in place order (overall, or the filter's division); with ``everyone``,
    then the runners without a place (held for review, started, DNF, DQ), each with its
    note (why it is held). P88Error if the race does not exist."""
    clauses = [sql.SQL("r.race_id = %(race)s")]
    if not everyone:
        clauses.append(sql.SQL("r.status = 'finished'"))
    params: dict[str, Any] = {"race": race_id, "limit": limit}
    order = "overall_place"
    if sex is not None:
        clauses.append(sql.SQL("r.sex = %(sex)s"))
        params["sex"] = sex
        order = "sex_place"
    if age_group is not None:
        clauses.append(sql.SQL("r.age_group = %(ag)s"))
        params["ag"] = age_group
        order = "age_group_place"
    query = sql.SQL(
        "SELECT r.overall_place, r.bib, r.tag_code, p.first_name, p.last_name, r.sex,"
        " r.age_group, r.sex_place, r.age_group_place, r.chip_time, r.gun_time, r.status,"
        " r.source, r.note, r.masters_place"
        " FROM ct_results r JOIN ct_participants p ON p.id = r.participant_id WHERE {where}"
        " ORDER BY {order} NULLS LAST, r.chip_time NULLS LAST, r.bib LIMIT %(limit)s"
    ).format(where=sql.SQL(" AND ").join(clauses), order=sql.Identifier("r", order))
    rows = conn.execute(query, params).fetchall()
    if not rows and not conn.execute("SELECT 1 FROM ct_races WHERE id = %s", (race_id,)).fetchone():
        raise InputError(
            f"no race {race_id}",
            hint="p88 results new-race creates a race and prints its id",
            what="race",
            where="--race",
        )
    return [RaceStanding(*row) for row in rows]
