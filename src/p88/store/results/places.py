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
