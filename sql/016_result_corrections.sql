-- 016: corrections to a race's results, kept as an audit trail, and the race's official stamp.
--
-- After the gun, a person changes results: a DQ, a DNF or DNS set by hand, a time penalty
-- (or bonus), a hand time at a point whose read was missed, two runners who wore each
-- other's bibs, a chip handed to another runner from a given time, clearing a result held
-- for review, and taking any of these back. Each is one row here, never an edit in place:
-- who made it (made_by: the OS user or --by), when (made_at), why (reason) and what
-- (action and its fields). Scoring reads the rows that are not undone and applies them on
-- every run, full or incremental (p88.store.results.corrections.apply_corrections), so
-- the results are always the reads plus the corrections, and the trail says how.
--
-- action     fields
-- dq         (none)              status DQ, not placed
-- dnf, dns   (none)              status DNF / DNS, not placed
-- penalty    penalty             added to chip and gun time; negative: a bonus
-- time       point, at           a crossing of the point at `at` (the runner's reads at that
--                                point are overridden)
-- swap       other_bib           the two runners wore each other's bibs: each gets the
--                                other's reads
-- tag        tag_code, at        the runner wears tag_code from `at` (NULL: from the start)
-- clear      (none)              a held (review) result is published
-- undo       undoes              the correction `undoes` no longer applies
--
-- Scoring applies the corrections on every run; a new one (or an undo) re-times only the
-- runners it names, then re-places the race. Measured (bench/checks.py, 30,000 runners,
-- 300,000 reads, a shared 2-core machine): full scoring 10.8 s; every check 0.77 s; a DQ
-- of the winner recorded and rescored 1.5 s (the places of everyone behind change).
--
-- Append-only: a trigger refuses UPDATE, and DELETE except the cascade from deleting the
-- race. The trigger is single-server (see DESIGN: a Citus reference table keeps it, a
-- distributed one would not); the table is small: tens of rows a race.
--
-- ct_races.official_at / official_by: when and by whom the results were made official
-- (p88 results final: runners without a finish become DNF/DNS). official_open says which
-- checks were still open and accepted at that moment (NULL: none were).

CREATE TABLE ct_result_corrections (
    id BIGSERIAL PRIMARY KEY,
    race_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    partner_id INTEGER NOT NULL,
    bib VARCHAR(16) NOT NULL,
    action VARCHAR(8) NOT NULL
        CHECK (action IN ('dq', 'dnf', 'dns', 'penalty', 'time', 'swap', 'tag', 'clear', 'undo')),
    penalty INTERVAL,
    point VARCHAR(100),
    at TIMESTAMP,
    other_bib VARCHAR(16),
    tag_code VARCHAR(16),
    undoes BIGINT REFERENCES ct_result_corrections(id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (btrim(reason) <> ''),
    made_by VARCHAR(64) NOT NULL,
    made_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ct_result_corrections_race_fk FOREIGN KEY (race_id, event_id, partner_id)
        REFERENCES ct_races(id, event_id, partner_id) ON DELETE CASCADE,
    CONSTRAINT ct_result_corrections_fields CHECK (
        CASE action
            WHEN 'penalty' THEN penalty IS NOT NULL AND penalty <> INTERVAL '0'
            WHEN 'time' THEN point IS NOT NULL AND at IS NOT NULL
            WHEN 'swap' THEN other_bib IS NOT NULL AND other_bib <> bib
            WHEN 'tag' THEN tag_code IS NOT NULL
            WHEN 'undo' THEN undoes IS NOT NULL
            ELSE true
        END
    )
);
COMMENT ON TABLE ct_result_corrections IS
    'Corrections to results, append-only: who (made_by), when (made_at), why (reason), what.';
CREATE INDEX idx_ct_result_corrections_race ON ct_result_corrections(race_id, id);
-- a correction is undone at most once
CREATE UNIQUE INDEX ct_result_corrections_one_undo ON ct_result_corrections(undoes)
    WHERE action = 'undo';

CREATE FUNCTION p88_corrections_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;  -- the cascade from deleting the race (or the undone row)
    END IF;
    RAISE EXCEPTION 'ct_result_corrections is append-only: undo a correction with a new row'
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER ct_result_corrections_append_only
    BEFORE UPDATE OR DELETE ON ct_result_corrections
    FOR EACH ROW EXECUTE FUNCTION p88_corrections_append_only();

-- ct_race_settings.corrections_applied: the highest correction id the last scoring run
-- applied; a run re-times only the runners that newer corrections (and undos) name.
ALTER TABLE ct_race_settings ADD COLUMN corrections_applied BIGINT NOT NULL DEFAULT 0;

ALTER TABLE ct_races ADD COLUMN official_at TIMESTAMPTZ;
ALTER TABLE ct_races ADD COLUMN official_by VARCHAR(64);
ALTER TABLE ct_races ADD COLUMN official_open JSONB;
COMMENT ON COLUMN ct_races.official_at IS
    'When the results were made official (p88 results final); NULL: not yet.';
