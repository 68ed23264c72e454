-- 002: results — partners, events, races, participants, results, splits, scoring state,
-- and the Boston qualifying standards.
--
-- Conventions (read these before writing a query against this schema):
--
-- * Times are INTERVAL, to the hundredth of a second: ct_results.chip_time, gun_time and
--   pace, ct_splits.elapsed, bq_standards.standard. Compare with interval literals
--   (chip_time < INTERVAL '3 hours'); avg(), min(), percentile_cont() work on them.
--   Wall-clock instants (a gun, a runner's start or finish crossing) are TIMESTAMP without
--   time zone, in the timing system's local time, like timing_reads.read_timestamp.
-- * chip_time: finish minus the runner's own start crossing (the gun/wave start when the
--   runner has no start read). gun_time: finish minus the gun (or the runner's wave start).
--   pace: chip_time per mile (US results publish min/mile), NULL without a finish.
-- * status is 'finished', 'DNF', 'DNS' or 'DQ'; NULL means no outcome yet (an entry before
--   or during the race). "Finished" questions filter status = 'finished'.
-- * Places are integers from 1, NULL unless finished. overall_place ranks the race;
--   sex_place ranks within ct_results.sex; age_group_place ranks within (sex, age_group).
--   They rank by gun time unless ct_races.place_by = 'chip'. Ties share a place (rank()).
-- * sex is 'M', 'F' or 'X' (non-binary). ct_results.sex is the division the runner was
--   placed in for that race (copied from the participant at entry); ct_participants.sex is
--   the person's.
-- * age is the age on race day; age_group is its label without the sex, e.g. '35-39',
--   '0-19' (youngest) or '80+' (oldest): standard 5-year groups, configurable when scoring.
--   "M40-44" means sex = 'M' AND age_group = '40-44'.
-- * Distances are metres (integer): marathon 42195, half 21098, 10K 10000, 5K 5000.
-- * Years: filter ct_events.event_date by a date range (event_date >= DATE '2023-01-01'
--   AND event_date < DATE '2024-01-01') so the event_date index serves it.
--
-- Tenancy: timing_partners are the tenants. partner_id is on every row a tenant filter needs
-- (ct_events, ct_races, ct_race_waves, ct_race_points, ct_results, ct_splits), and composite
-- foreign keys make it agree with the parent row's, so filtering any one table by partner_id
-- is exact. ct_participants are people, shared by partners (a runner races for many timing
-- companies over the years): a tenant sees a participant only through its own ct_results.
-- timing_sessions.partner_id (from 001) gets its foreign key here.
--
-- Join graph (each arrow is many-to-one; no join fans out):
--   ct_results.race_id -> ct_races.id, ct_races.event_id -> ct_events.id,
--   ct_events.partner_id -> timing_partners.id, ct_results.participant_id -> ct_participants.id,
--   ct_splits.result_id -> ct_results.id. ct_results.event_id repeats ct_races.event_id so
--   results can be distributed by event (Citus) without a join.
--
-- Scoring from reads (p88 results score) keeps its state here too: ct_race_points says which
-- timing locations a race uses and how, ct_read_verdicts records for every read considered
-- why it was used or ignored, ct_scoring_runs remembers each run.

CREATE TABLE timing_partners (
    id SERIAL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    code VARCHAR(64) NOT NULL,
    city VARCHAR(100),
    state VARCHAR(64),
    country VARCHAR(64) NOT NULL DEFAULT 'US',
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT timing_partners_name_key UNIQUE (name),
    CONSTRAINT timing_partners_code_key UNIQUE (code)
);
COMMENT ON TABLE timing_partners IS 'Timing companies: the tenants. is_demo marks synthetic history.';

ALTER TABLE timing_sessions
    ADD CONSTRAINT timing_sessions_partner_fk FOREIGN KEY (partner_id) REFERENCES timing_partners(id);
CREATE INDEX idx_timing_sessions_partner ON timing_sessions(partner_id);

CREATE TABLE ct_events (
    id SERIAL PRIMARY KEY,
    partner_id INTEGER NOT NULL REFERENCES timing_partners(id),
    name VARCHAR(255) NOT NULL,
    event_date DATE NOT NULL,
    city VARCHAR(100),
    state VARCHAR(64),
    country VARCHAR(64) NOT NULL DEFAULT 'US',
    external_id VARCHAR(64),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ct_events_id_partner_key UNIQUE (id, partner_id)
);
CREATE INDEX idx_ct_events_partner_date ON ct_events(partner_id, event_date);
CREATE INDEX idx_ct_events_date ON ct_events(event_date);
CREATE INDEX idx_ct_events_lower_name ON ct_events(lower(name));
CREATE INDEX idx_ct_events_state_city ON ct_events(state, city);

CREATE TABLE ct_races (
    id SERIAL PRIMARY KEY,
    partner_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    name VARCHAR(255) NOT NULL,
    distance_m INTEGER NOT NULL CHECK (distance_m > 0),
    start_time TIMESTAMP,
    place_by VARCHAR(4) NOT NULL DEFAULT 'gun' CHECK (place_by IN ('gun', 'chip')),
    session_id INTEGER REFERENCES timing_sessions(id),
    external_id VARCHAR(64),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ct_races_event_fk FOREIGN KEY (event_id, partner_id)
        REFERENCES ct_events(id, partner_id) ON DELETE CASCADE,
    CONSTRAINT ct_races_id_event_partner_key UNIQUE (id, event_id, partner_id)
);
COMMENT ON COLUMN ct_races.start_time IS 'Gun time (local wall clock); scoring prefers the session''s gun events.';
COMMENT ON COLUMN ct_races.session_id IS 'The timing session whose reads score this race, when known.';
CREATE INDEX idx_ct_races_event ON ct_races(event_id);
CREATE INDEX idx_ct_races_partner ON ct_races(partner_id);
CREATE INDEX idx_ct_races_distance ON ct_races(distance_m);

CREATE TABLE ct_race_waves (
    race_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    partner_id INTEGER NOT NULL,
    wave VARCHAR(32) NOT NULL,
    start_time TIMESTAMP,
    PRIMARY KEY (race_id, wave),
    CONSTRAINT ct_race_waves_race_fk FOREIGN KEY (race_id, event_id, partner_id)
        REFERENCES ct_races(id, event_id, partner_id) ON DELETE CASCADE
);

CREATE TABLE ct_participants (
    id SERIAL PRIMARY KEY,
    first_name VARCHAR(100) NOT NULL,
    last_name VARCHAR(100) NOT NULL,
    sex CHAR(1) CHECK (sex IN ('M', 'F', 'X')),
    birth_year SMALLINT,
    birth_date DATE,
    city VARCHAR(100),
    state VARCHAR(64),
    country VARCHAR(64) NOT NULL DEFAULT 'US',
    email VARCHAR(255),
    external_id VARCHAR(64),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_ct_participants_name ON ct_participants(lower(last_name), lower(first_name));
CREATE INDEX idx_ct_participants_state_city ON ct_participants(state, city);
CREATE INDEX idx_ct_participants_external ON ct_participants(external_id);

CREATE TABLE ct_results (
    id BIGSERIAL PRIMARY KEY,
    partner_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    race_id INTEGER NOT NULL,
    participant_id INTEGER NOT NULL REFERENCES ct_participants(id),
    bib VARCHAR(16) NOT NULL,
    tag_code VARCHAR(16),
    wave VARCHAR(32),
    sex CHAR(1) CHECK (sex IN ('M', 'F', 'X')),
    age SMALLINT CHECK (age BETWEEN 0 AND 120),
    age_group VARCHAR(16),
    start_time TIMESTAMP,
    finish_time TIMESTAMP,
    chip_time INTERVAL,
    gun_time INTERVAL,
    pace INTERVAL,
    status VARCHAR(8) CHECK (status IN ('finished', 'DNF', 'DNS', 'DQ')),
    overall_place INTEGER,
    sex_place INTEGER,
    age_group_place INTEGER,
    source VARCHAR(16) NOT NULL DEFAULT 'import'
        CHECK (source IN ('import', 'scored', 'synthetic', 'manual')),
    note TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ct_results_race_fk FOREIGN KEY (race_id, event_id, partner_id)
        REFERENCES ct_races(id, event_id, partner_id) ON DELETE CASCADE,
    CONSTRAINT ct_results_race_bib_key UNIQUE (race_id, bib),
    CONSTRAINT ct_results_id_race_key UNIQUE (id, race_id, partner_id)
);
COMMENT ON COLUMN ct_results.tag_code IS 'The chip read for this entry; NULL means the tag is the bib.';
COMMENT ON COLUMN ct_results.note IS 'Scoring flags, e.g. "no start read: chip time from gun".';
CREATE INDEX idx_ct_results_race_status_chip ON ct_results(race_id, status, chip_time);
CREATE INDEX idx_ct_results_race_sex_age ON ct_results(race_id, sex, age_group, chip_time);
CREATE INDEX idx_ct_results_participant ON ct_results(participant_id);
CREATE INDEX idx_ct_results_partner_event ON ct_results(partner_id, event_id);
CREATE INDEX idx_ct_results_race_tag ON ct_results(race_id, tag_code);

CREATE TABLE ct_splits (
    result_id BIGINT NOT NULL,
    race_id INTEGER NOT NULL,
    partner_id INTEGER NOT NULL,
    point VARCHAR(100) NOT NULL,
    distance_m INTEGER,
    crossing_time TIMESTAMP NOT NULL,
    elapsed INTERVAL NOT NULL,
    read_id BIGINT,
    PRIMARY KEY (result_id, point),
    CONSTRAINT ct_splits_result_fk FOREIGN KEY (result_id, race_id, partner_id)
        REFERENCES ct_results(id, race_id, partner_id) ON DELETE CASCADE
);
COMMENT ON COLUMN ct_splits.elapsed IS 'Chip elapsed time at this point (from the runner''s start).';
CREATE INDEX idx_ct_splits_race_point ON ct_splits(race_id, point, elapsed);

-- How a race uses a session's timing locations. kind: start, split or finish.
-- read_choice: which read of a crossing is its time (default: last on start, first elsewhere).
-- dead_time: reads of one tag within this of the crossing's first read are the same crossing.
-- min_elapsed: a crossing sooner than this after the runner's start is not this point's
-- (a finish mat passed at the start of a lap course).
CREATE TABLE ct_race_points (
    race_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    partner_id INTEGER NOT NULL,
    location_name VARCHAR(100) NOT NULL,
    kind VARCHAR(8) NOT NULL CHECK (kind IN ('start', 'split', 'finish')),
    seq SMALLINT NOT NULL DEFAULT 0,
    distance_m INTEGER,
    read_choice VARCHAR(5) CHECK (read_choice IN ('first', 'last')),
    dead_time INTERVAL NOT NULL DEFAULT INTERVAL '10 seconds',
    min_elapsed INTERVAL NOT NULL DEFAULT INTERVAL '0',
    PRIMARY KEY (race_id, location_name),
    CONSTRAINT ct_race_points_race_fk FOREIGN KEY (race_id, event_id, partner_id)
        REFERENCES ct_races(id, event_id, partner_id) ON DELETE CASCADE
);

-- One row per read a scoring run considered: used, or ignored and why.
CREATE TABLE ct_read_verdicts (
    race_id INTEGER NOT NULL REFERENCES ct_races(id) ON DELETE CASCADE,
    read_id BIGINT NOT NULL,
    result_id BIGINT,
    location_name VARCHAR(100) NOT NULL,
    tag_code VARCHAR(16) NOT NULL,
    verdict VARCHAR(16) NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (race_id, read_id)
);
CREATE INDEX idx_ct_read_verdicts_result ON ct_read_verdicts(result_id);

CREATE TABLE ct_scoring_runs (
    id BIGSERIAL PRIMARY KEY,
    race_id INTEGER NOT NULL REFERENCES ct_races(id) ON DELETE CASCADE,
    session_id INTEGER NOT NULL REFERENCES timing_sessions(id),
    new_reads INTEGER NOT NULL,
    changed_results INTEGER NOT NULL,
    final BOOLEAN NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);
CREATE INDEX idx_ct_scoring_runs_race ON ct_scoring_runs(race_id, id DESC);

-- Boston Marathon qualifying standards by Boston race year, sex and age on Boston race day
-- (meet or beat: chip_time <= standard). Women's standards also apply to non-binary runners
-- (sex 'X'). Meeting the standard does not guarantee entry: the yearly cutoff is not here.
-- A new year is a new migration's INSERT; a past year is never edited.
CREATE TABLE bq_standards (
    boston_year SMALLINT NOT NULL,
    sex CHAR(1) NOT NULL CHECK (sex IN ('M', 'F')),
    age_min SMALLINT NOT NULL,
    age_max SMALLINT NOT NULL,
    standard INTERVAL NOT NULL,
    PRIMARY KEY (boston_year, sex, age_min),
    CHECK (age_min <= age_max)
);

INSERT INTO bq_standards (boston_year, sex, age_min, age_max, standard) VALUES
    (2025, 'M', 18, 34, '3:00:00'), (2025, 'M', 35, 39, '3:05:00'),
    (2025, 'M', 40, 44, '3:10:00'), (2025, 'M', 45, 49, '3:20:00'),
    (2025, 'M', 50, 54, '3:25:00'), (2025, 'M', 55, 59, '3:35:00'),
    (2025, 'M', 60, 64, '3:50:00'), (2025, 'M', 65, 69, '4:05:00'),
    (2025, 'M', 70, 74, '4:20:00'), (2025, 'M', 75, 79, '4:35:00'),
    (2025, 'M', 80, 150, '4:50:00'),
    (2025, 'F', 18, 34, '3:30:00'), (2025, 'F', 35, 39, '3:35:00'),
    (2025, 'F', 40, 44, '3:40:00'), (2025, 'F', 45, 49, '3:50:00'),
    (2025, 'F', 50, 54, '3:55:00'), (2025, 'F', 55, 59, '4:05:00'),
    (2025, 'F', 60, 64, '4:20:00'), (2025, 'F', 65, 69, '4:35:00'),
    (2025, 'F', 70, 74, '4:50:00'), (2025, 'F', 75, 79, '5:05:00'),
    (2025, 'F', 80, 150, '5:20:00'),
    (2026, 'M', 18, 34, '2:55:00'), (2026, 'M', 35, 39, '3:00:00'),
    (2026, 'M', 40, 44, '3:05:00'), (2026, 'M', 45, 49, '3:15:00'),
    (2026, 'M', 50, 54, '3:20:00'), (2026, 'M', 55, 59, '3:30:00'),
    (2026, 'M', 60, 64, '3:50:00'), (2026, 'M', 65, 69, '4:05:00'),
    (2026, 'M', 70, 74, '4:20:00'), (2026, 'M', 75, 79, '4:35:00'),
    (2026, 'M', 80, 150, '4:50:00'),
    (2026, 'F', 18, 34, '3:25:00'), (2026, 'F', 35, 39, '3:30:00'),
    (2026, 'F', 40, 44, '3:35:00'), (2026, 'F', 45, 49, '3:45:00'),
    (2026, 'F', 50, 54, '3:50:00'), (2026, 'F', 55, 59, '4:00:00'),
    (2026, 'F', 60, 64, '4:20:00'), (2026, 'F', 65, 69, '4:35:00'),
    (2026, 'F', 70, 74, '4:50:00'), (2026, 'F', 75, 79, '5:05:00'),
    (2026, 'F', 80, 150, '5:20:00');
