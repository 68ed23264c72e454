-- 015: award divisions and award rules stored with the race; age grades and extra entry
-- fields on results.
--
-- Age groups are not defined here: they are the race's settings (age_groups, per sex,
-- labels: ct_race_settings, 010), and scoring writes each runner's label to
-- ct_results.age_group, so the age-group award divisions are (sex, age_group) as scored.
-- What those settings do not cover lives here:
--
-- * ct_race_awards (one row per race; no row = the defaults): how deep the overall and
--   age-group awards go, the double-dip policy ('remove': a runner who wins an earlier
--   award division, overall first, is left out of the later ones so the next runner moves
--   up; 'keep': every division is awarded on its own), and the time awards go by ('gun',
--   'chip', or NULL = the race's place_by).
-- * ct_race_divisions: further award divisions, in award order (seq):
--   kind 'age'        runners min_age..max_age (masters 40+, grand masters 50+), by sex;
--   kind 'field'      a participant column: ct_results.entry_fields ->> field (team,
--                     wheelchair, military) or the participant's city/state/country; value
--                     NULL makes one division per value found;
--   kind 'age_graded' ranked by age grade (best percentage first) instead of time.
--   by_sex splits a division into one per sex (M, F, X). depth = how many places get awards.
--   'age' divisions take part in the double-dip policy with overall and age groups;
--   'field' and 'age_graded' divisions are awarded on their own.
-- * ct_results.age_graded_time / age_grade: the WMA 2023 road age grade of the chip time
--   (athlib's tables): the time an open-age runner of the same sex would need
--   (chip_time * factor), and the percentage of the age-standard (100 = world-best for the
--   age). NULL without a finish, an age, a sex of M or F, or for an age below the tables'.
--   Written by `p88 results agegrade` (and by awards and export runs); p88 ask reads them.
-- * ct_results.entry_fields: registration columns p88 has no column for ({"team": "..."}),
--   for field divisions.

CREATE TABLE ct_race_awards (
    race_id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    partner_id INTEGER NOT NULL,
    overall_depth SMALLINT NOT NULL DEFAULT 3 CHECK (overall_depth BETWEEN 0 AND 100),
    age_group_depth SMALLINT NOT NULL DEFAULT 3 CHECK (age_group_depth BETWEEN 0 AND 100),
    double_dip VARCHAR(6) NOT NULL DEFAULT 'remove' CHECK (double_dip IN ('remove', 'keep')),
    time_basis VARCHAR(4) CHECK (time_basis IN ('gun', 'chip')),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ct_race_awards_race_fk FOREIGN KEY (race_id, event_id, partner_id)
        REFERENCES ct_races(id, event_id, partner_id) ON DELETE CASCADE
);

CREATE TABLE ct_race_divisions (
    race_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    partner_id INTEGER NOT NULL,
    code VARCHAR(32) NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_-]*$'),
    label VARCHAR(64) NOT NULL,
    kind VARCHAR(10) NOT NULL CHECK (kind IN ('age', 'field', 'age_graded')),
    by_sex BOOLEAN NOT NULL DEFAULT TRUE,
    min_age SMALLINT CHECK (min_age BETWEEN 0 AND 120),
    max_age SMALLINT CHECK (max_age BETWEEN 0 AND 120),
    field VARCHAR(32),
    value VARCHAR(100),
    depth SMALLINT NOT NULL DEFAULT 3 CHECK (depth BETWEEN 1 AND 100),
    seq SMALLINT NOT NULL DEFAULT 0,
    PRIMARY KEY (race_id, code),
    CONSTRAINT ct_race_divisions_race_fk FOREIGN KEY (race_id, event_id, partner_id)
        REFERENCES ct_races(id, event_id, partner_id) ON DELETE CASCADE,
    CHECK (kind <> 'age' OR min_age IS NOT NULL),
    CHECK (kind <> 'field' OR field IS NOT NULL),
    CHECK (min_age IS NULL OR max_age IS NULL OR min_age <= max_age)
);

ALTER TABLE ct_results ADD COLUMN age_graded_time INTERVAL;
ALTER TABLE ct_results ADD COLUMN age_grade NUMERIC(5, 2);
ALTER TABLE ct_results ADD COLUMN entry_fields JSONB NOT NULL DEFAULT '{}';
COMMENT ON COLUMN ct_results.age_graded_time IS
    'Chip time times the WMA 2023 road age factor: the open-age equivalent time.';
COMMENT ON COLUMN ct_results.age_grade IS
    'WMA 2023 road age grade in percent (100 = the world best for the age and sex).';
COMMENT ON COLUMN ct_results.entry_fields IS
    'Registration columns without a p88 column (team, wheelchair, ...), for divisions.';
