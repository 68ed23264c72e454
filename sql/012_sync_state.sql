-- 012: registration and results sync state (p88 sync runsignup / raceroster).
--
-- * sync_links: one row per (race, provider): the remote race and event a p88 race is
--   linked to, the pull's high-water mark, and the push's result set and declared splits.
--   The high-water mark is the highest last_modified seen plus the registrations seen AT
--   that second: RunSignUp returns rows modified ON OR AFTER modified_after_timestamp, so
--   the next pull asks from that second again and recognises the rows it already has.
-- * sync_registrations: remote registration id -> the entry (ct_results row) it became,
--   with a fingerprint of what was last imported, so a pull that brings nothing new
--   writes nothing (idempotent) and a changed row is told apart from a repeated one.
-- * sync_pushed: what the provider holds for each entry (the last row posted), so a
--   push sends only rows that changed, and knows which splits to clear with "X".
-- * sync_changes: the audit of bib and chip changes a sync applied to an entry after its
--   first import: who (the provider and the OS user), when, which entry, old and new.
--   A general corrections table is planned elsewhere; this one is the sync's own and
--   small on purpose (one row per change, no updates).
--
-- Sizes: 20,000 registrations are 20,000 rows in each of sync_registrations and
-- sync_pushed; lookups are by primary key or by race.

CREATE TABLE sync_links (
    race_id INTEGER NOT NULL REFERENCES ct_races(id) ON DELETE CASCADE,
    provider VARCHAR(16) NOT NULL CHECK (provider IN ('runsignup', 'raceroster')),
    remote_race_id BIGINT NOT NULL,
    remote_event_id BIGINT NOT NULL,
    high_water BIGINT,
    high_water_ids BIGINT[] NOT NULL DEFAULT '{}',
    pulled_at TIMESTAMPTZ,
    result_set_id BIGINT,
    result_set_final BOOLEAN NOT NULL DEFAULT FALSE,
    preliminary_set_id BIGINT,
    splits JSONB NOT NULL DEFAULT '{}'::jsonb,
    pushed_at TIMESTAMPTZ,
    PRIMARY KEY (race_id, provider)
);
COMMENT ON COLUMN sync_links.high_water IS 'Highest last_modified (Unix seconds) pulled so far.';
COMMENT ON COLUMN sync_links.high_water_ids IS 'Registrations seen at exactly high_water.';
COMMENT ON COLUMN sync_links.splits IS 'Timing point name -> the provider''s split id, declared once.';

CREATE TABLE sync_registrations (
    race_id INTEGER NOT NULL REFERENCES ct_races(id) ON DELETE CASCADE,
    provider VARCHAR(16) NOT NULL,
    registration_id BIGINT NOT NULL,
    result_id BIGINT,
    bib VARCHAR(16),
    chip VARCHAR(16),
    fingerprint TEXT NOT NULL,
    last_modified BIGINT,
    PRIMARY KEY (race_id, provider, registration_id)
);
CREATE INDEX idx_sync_registrations_result ON sync_registrations(result_id);

CREATE TABLE sync_pushed (
    race_id INTEGER NOT NULL REFERENCES ct_races(id) ON DELETE CASCADE,
    provider VARCHAR(16) NOT NULL,
    result_set_id BIGINT NOT NULL,
    result_id BIGINT NOT NULL,
    posted JSONB NOT NULL,
    pushed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (race_id, provider, result_set_id, result_id)
);

CREATE TABLE sync_changes (
    id BIGSERIAL PRIMARY KEY,
    race_id INTEGER NOT NULL REFERENCES ct_races(id) ON DELETE CASCADE,
    result_id BIGINT NOT NULL,
    registration_id BIGINT,
    field VARCHAR(8) NOT NULL CHECK (field IN ('bib', 'chip')),
    old_value VARCHAR(16),
    new_value VARCHAR(16),
    source VARCHAR(16) NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_sync_changes_race ON sync_changes(race_id, changed_at);
