-- 018: what the runner display shows beside a runner's name: their message, the VIP flag,
-- and default messages per division or per timing point.
--
-- ct_participants (002) are people shared by partners and have no column for either: a
-- message ("Go Mom!", a sponsor's line) and a VIP flag belong to one entry in one race, so
-- they live beside the entry, keyed like it by (race, bib). They are kept apart from
-- ct_results so that importing or re-scoring results never touches them, and a message can
-- be set (`p88 display messages import`, a participants file's Message/VIP column) before
-- the entry itself exists and edited while the race runs: the display reads it again for
-- every crossing.
--
-- A crossing's message is the entry's own, else its division's default (division is the
-- result's sex and age group as the display prints them: 'F35-39', or 'F' without an age
-- group), else the point's default (a timing location's name), else none.

CREATE TABLE ct_display_messages (
    race_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    partner_id INTEGER NOT NULL,
    bib VARCHAR(16) NOT NULL,
    message VARCHAR(280),
    vip BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (race_id, bib),
    CONSTRAINT ct_display_messages_race_fk FOREIGN KEY (race_id, event_id, partner_id)
        REFERENCES ct_races(id, event_id, partner_id) ON DELETE CASCADE
);
COMMENT ON TABLE ct_display_messages IS 'Runner display: one entry''s message and VIP flag, by (race, bib).';

CREATE TABLE ct_display_defaults (
    race_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    partner_id INTEGER NOT NULL,
    scope VARCHAR(8) NOT NULL CHECK (scope IN ('division', 'point')),
    key VARCHAR(100) NOT NULL,
    message VARCHAR(280) NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (race_id, scope, key),
    CONSTRAINT ct_display_defaults_race_fk FOREIGN KEY (race_id, event_id, partner_id)
        REFERENCES ct_races(id, event_id, partner_id) ON DELETE CASCADE
);
COMMENT ON TABLE ct_display_defaults IS 'Runner display: the message of runners without their own, per division or point.';
