-- 010: a race's scoring settings are stored with the race, and flagged results are held.
--
-- Scoring options given on one command line used to last for that run only: a full run
-- with 10-year age groups, then a plain incremental run relabelled the re-timed runners
-- with the default 5-year groups. ct_race_settings keeps them, so every run (incremental
-- or full, from the CLI, the TUI or the server) uses the same ones, and a change rescores:
--
-- * age_groups: 'WIDTH:FIRST:LAST' for everyone; age_groups_by_sex: {"F": "10:20:70"}
--   overrides per sex; age_labels: {"0-19": "Junior"} renames a group's label.
-- * masters_age: runners this age and older are also placed among the masters of their
--   sex (ct_results.masters_place); NULL = no masters division.
-- * start_rule: which start-mat crossing starts a runner. 'last_before' (the trade's rule,
--   default): the last crossing before the runner's first read at a later point, so a
--   walk over the mat to the corral does not count; 'first': the first crossing.
-- * cutoff: the course closes this long after the gun; a finish after it is held.
-- * place_by stays on ct_races (002); dead time and minimum stay per point (ct_race_points).
-- * scored_with: the points and settings the last scoring run used (a digest): when it
--   differs, the next run rescores every read.
--
-- Held results: status 'review' is a finish that a flag (impossible pace, a split
-- implausibly fast for its distance, a chip time over 24 h, a finish after the cutoff)
-- holds back. It is not placed; ct_results.note says why. A person clears it.

CREATE TABLE ct_race_settings (
    race_id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    partner_id INTEGER NOT NULL,
    age_groups VARCHAR(32) NOT NULL DEFAULT '5:20:80',
    age_groups_by_sex JSONB NOT NULL DEFAULT '{}',
    age_labels JSONB NOT NULL DEFAULT '{}',
    masters_age SMALLINT CHECK (masters_age BETWEEN 1 AND 120),
    start_rule VARCHAR(16) NOT NULL DEFAULT 'last_before'
        CHECK (start_rule IN ('last_before', 'first')),
    cutoff INTERVAL CHECK (cutoff > INTERVAL '0'),
    scored_with VARCHAR(64),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ct_race_settings_race_fk FOREIGN KEY (race_id, event_id, partner_id)
        REFERENCES ct_races(id, event_id, partner_id) ON DELETE CASCADE
);

ALTER TABLE ct_results DROP CONSTRAINT ct_results_status_check;
ALTER TABLE ct_results ADD CONSTRAINT ct_results_status_check
    CHECK (status IN ('finished', 'DNF', 'DNS', 'DQ', 'review'));
ALTER TABLE ct_results ADD COLUMN masters_place INTEGER;
COMMENT ON COLUMN ct_results.masters_place IS
    'Place among the masters (ct_race_settings.masters_age and older) of the runner''s sex.';
