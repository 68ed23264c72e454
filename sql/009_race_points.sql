-- 009: a race's timing points are configured, never guessed behind the crew's back.
--
-- ct_race_points (002) holds the points of a race: location, role (start, split, finish),
-- order (seq), distance and, per point, its dead time and minimum elapsed time. Scoring
-- used to save whatever it guessed from a session on its first run, so a run started while
-- only START had reads saved START as the finish and kept it. Now only `p88 results points`
-- (or explicit --start/--finish on `score`) writes this table; a proposal from a session's
-- reads is used for one run and never saved. What the database enforces on top:
--
-- * one finish and at most one start per race (a location has one role already: the
--   primary key is (race_id, location_name), so the start can never also be the finish);
-- * split order is unique within a race, so "in order" means one order.
-- * set_at records when the crew set the points (shown by `p88 results points`).

CREATE UNIQUE INDEX ct_race_points_one_finish ON ct_race_points(race_id) WHERE kind = 'finish';
CREATE UNIQUE INDEX ct_race_points_one_start ON ct_race_points(race_id) WHERE kind = 'start';
CREATE UNIQUE INDEX ct_race_points_split_order ON ct_race_points(race_id, seq) WHERE kind = 'split';
ALTER TABLE ct_race_points ADD COLUMN set_at TIMESTAMPTZ NOT NULL DEFAULT now();
