"""Places within a race: overall, by sex, by age group — computed by PostgreSQL.

``rank()`` semantics: runners with the same time share a place and the next place is
skipped (1, 2, 2, 4). Only finishers are placed; everyone else's places are NULL, held
results (status ``review``) included, so a flagged time never takes a place. Masters
(``ct_race_settings.masters_age`` and older) are also placed among their sex's masters. A race
ranks by gun time unless ``ct_races.place_by`` is 'chip' (the trade's rule: awards go by
gun time, so a runner who starts late cannot win by it). Rows are written only where a
place changed, so re-placing a race during scoring stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

_PLACE = """
WITH timed AS (
    SELECT r.id, r.sex, r.age_group, coalesce(r.age >= st.masters_age, false) AS masters,
           CASE WHEN ra.place_by = 'chip' THEN r.chip_time
                ELSE coalesce(r.gun_time, r.chip_time) END AS t
    FROM ct_results r JOIN ct_races ra ON ra.id = r.race_id
    LEFT JOIN ct_race_settings st ON st.race_id = r.race_id
    WHERE r.race_id = %(race)s AND r.status = 'finished'
), ranked AS (
    SELECT id,
           rank() OVER (ORDER BY t) AS o,
           rank() OVER (PARTITION BY sex ORDER BY t) AS s,
           rank() OVER (PARTITION BY sex, age_group ORDER BY t) AS a,
           CASE WHEN masters THEN rank() OVER (PARTITION BY sex, masters ORDER BY t) END AS m
    FROM timed WHERE t IS NOT NULL
)
UPDATE ct_results r
SET overall_place = ranked.o, sex_place = ranked.s, age_group_place = ranked.a,
    masters_place = ranked.m
FROM ranked
WHERE r.id = ranked.id
  AND (r.overall_place, r.sex_place, r.age_group_place, r.masters_place)
      IS DISTINCT FROM (ranked.o::int, ranked.s::int, ranked.a::int, ranked.m::int)
"""

_UNPLACE = """
UPDATE ct_results
SET overall_place = NULL, sex_place = NULL, age_group_place = NULL, masters_place = NULL
WHERE race_id = %(race)s
  AND (status IS DISTINCT FROM 'finished' OR (chip_time IS NULL AND gun_time IS NULL))
  AND (overall_place IS NOT NULL OR sex_place IS NOT NULL OR age_group_place IS NOT NULL
       OR masters_place IS NOT NULL)
"""


def update_places(conn: psycopg.Connection[Any], race_id: int) -> int:
    """Re-place one race; returns how many results' places changed."""
    changed = conn.execute(_PLACE, {"race": race_id}).rowcount
    changed += conn.execute(_UNPLACE, {"race": race_id}).rowcount
    return changed


# The same ranks as _PLACE for the finishers at or after ``since`` only: a finisher's rank
# is 1 + the finishers of its division with a smaller time, i.e. those before ``since``
# (counted, not ranked: ``head``) plus its rank among the rest (``tail``).
_PLACE_FROM = """
WITH timed AS (
    SELECT r.id, r.sex, r.age_group, coalesce(r.age >= %(masters)s, false) AS masters,
           CASE WHEN %(chip)s THEN r.chip_time ELSE coalesce(r.gun_time, r.chip_time) END AS t
    FROM ct_results r
    WHERE r.race_id = %(race)s AND r.status = 'finished'
), head AS (
    SELECT sex, age_group, masters, count(*) AS n FROM timed WHERE t < %(since)s
    GROUP BY sex, age_group, masters
), tail AS (
    SELECT * FROM timed WHERE t >= %(since)s
), ranked AS (
    SELECT id,
           rank() OVER (ORDER BY t)
               + (SELECT coalesce(sum(n), 0) FROM head) AS o,
           rank() OVER (PARTITION BY sex ORDER BY t)
               + (SELECT coalesce(sum(n), 0) FROM head h
                  WHERE h.sex IS NOT DISTINCT FROM tail.sex) AS s,
           rank() OVER (PARTITION BY sex, age_group ORDER BY t)
               + (SELECT coalesce(sum(n), 0) FROM head h WHERE h.sex IS NOT DISTINCT FROM tail.sex
                  AND h.age_group IS NOT DISTINCT FROM tail.age_group) AS a,
           CASE WHEN masters THEN rank() OVER (PARTITION BY sex, masters ORDER BY t)
               + (SELECT coalesce(sum(n), 0) FROM head h
                  WHERE h.sex IS NOT DISTINCT FROM tail.sex AND h.masters) END AS m
    FROM tail
)
UPDATE ct_results r
SET overall_place = ranked.o, sex_place = ranked.s, age_group_place = ranked.a,
    masters_place = ranked.m
FROM ranked
WHERE r.id = ranked.id
  AND (r.overall_place, r.sex_place, r.age_group_place, r.masters_place)
      IS DISTINCT FROM (ranked.o::int, ranked.s::int, ranked.a::int, ranked.m::int)
RETURNING r.id
"""

_UNPLACE_IDS = """
UPDATE ct_results
SET overall_place = NULL, sex_place = NULL, age_group_place = NULL, masters_place = NULL
WHERE race_id = %(race)s AND id = ANY(%(ids)s)
  AND (status IS DISTINCT FROM 'finished' OR (chip_time IS NULL AND gun_time IS NULL))
  AND (overall_place IS NOT NULL OR sex_place IS NOT NULL OR age_group_place IS NOT NULL
       OR masters_place IS NOT NULL)
RETURNING id
"""


def update_places_from(
    conn: psycopg.Connection[Any], race_id: int, since: Any, changed: list[int]
) -> list[int]:
    """Re-place only what a change can move: the finishers whose time is ``since`` (the
    smallest old or new time among the ``changed`` results) or later, and the ``changed``
    results that lost their place. Same ranks as :func:`update_places` when every other
    result is as the last placing left it. Returns the ids whose places changed."""
    row = conn.execute(
        "SELECT ra.place_by = 'chip', st.masters_age FROM ct_races ra "
        "LEFT JOIN ct_race_settings st ON st.race_id = ra.id WHERE ra.id = %s",
        (race_id,),
    ).fetchone()
    chip, masters = row if row else (False, None)
    params = {"race": race_id, "since": since, "chip": chip, "masters": masters}
    ids = [r[0] for r in conn.execute(_PLACE_FROM, params)]
    ids += [r[0] for r in conn.execute(_UNPLACE_IDS, {"race": race_id, "ids": changed})]
    return ids
