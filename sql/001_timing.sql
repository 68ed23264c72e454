-- 001: the raw timing database.
--
-- Table and column names are the seed's (timing_sessions, timing_locations, timing_reads,
-- connection_log, timing_reads_archive), so the seed's queries run unchanged. What p88 adds,
-- and why:
--
-- * timing_reads: the seed's UNIQUE(session_id, sequence_number, location_name) dropped real
--   reads when a client restarted its numbering under a new connection id. A read's identity
--   is its content: (session, location, tag, time, reader, antenna). No two lines of a real
--   capture share it, and a resent line always does, so ON CONFLICT DO NOTHING on this key is
--   exactly-once. reader_id and gator_number are NOT NULL (default '' / 0) because NULLs are
--   distinct in a PostgreSQL 13 unique index.
-- * read_timestamp is the read's own local wall-clock time (the seed stored receipt time);
--   read_time is its time of day and read_date its date. received_at is when p88 got it.
-- * reader_id and tag_code are wider: real reader ids are not always 6 hex characters
--   (POINTCAM, 23H016), tags can carry prefixes.
-- * connection_id and sequence_number stay on each read for the record; the resume position
--   per client stream lives in client_streams, written in the same transaction as the reads,
--   so it only ever reflects committed reads.
-- * timing_gun_events holds gun-time lines; rejected_lines keeps input that did not parse,
--   verbatim, with the reason and where it came from.
-- * timing_sessions.session_name is unique so a restarted listener continues its session;
--   partner_id names the timing partner that owns the session (the results migration adds
--   the partners table and the foreign key).
-- * archive_old_timing_data() keeps the seed's name and result, lists its columns, and
--   skips a read already archived instead of failing.

CREATE TABLE timing_sessions (
    id SERIAL PRIMARY KEY,
    session_name VARCHAR(255) NOT NULL,
    event_name VARCHAR(255),
    start_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    end_time TIMESTAMP,
    status VARCHAR(50) DEFAULT 'active',
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    event_id VARCHAR(255),
    event_description VARCHAR(255),
    session_date DATE,
    timezone VARCHAR(64),
    partner_id INTEGER,
    CONSTRAINT timing_sessions_name_key UNIQUE (session_name)
);

CREATE TABLE timing_locations (
    id SERIAL PRIMARY KEY,
    session_id INTEGER REFERENCES timing_sessions(id),
    location_name VARCHAR(100) NOT NULL,
    description VARCHAR(255),
    reader_id VARCHAR(16),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT timing_locations_session_name_key UNIQUE (session_id, location_name)
);

CREATE TABLE timing_reads (
    id BIGSERIAL PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES timing_sessions(id),
    location_id INTEGER REFERENCES timing_locations(id),
    sequence_number INTEGER,
    location_name VARCHAR(100) NOT NULL,
    tag_code VARCHAR(16) NOT NULL,
    read_time TIME NOT NULL,
    read_date DATE DEFAULT CURRENT_DATE,
    read_timestamp TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    lap_count INTEGER DEFAULT 1,
    reader_id VARCHAR(16) NOT NULL DEFAULT '',
    gator_number INTEGER NOT NULL DEFAULT 0,
    raw_data TEXT,
    processed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    connection_id VARCHAR(128),
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT timing_reads_identity
        UNIQUE (session_id, location_name, tag_code, read_timestamp, reader_id, gator_number)
);

-- The seed's four performance indexes.
CREATE INDEX idx_timing_reads_session_location ON timing_reads(session_id, location_id);
CREATE INDEX idx_timing_reads_tag_time ON timing_reads(tag_code, read_timestamp);
CREATE INDEX idx_timing_reads_timestamp ON timing_reads(read_timestamp DESC);
CREATE INDEX idx_timing_reads_location_name ON timing_reads(location_name, read_timestamp);

CREATE TABLE client_streams (
    session_id INTEGER NOT NULL REFERENCES timing_sessions(id),
    connection_id VARCHAR(128) NOT NULL,
    location_name VARCHAR(100) NOT NULL,
    last_sequence BIGINT NOT NULL,
    read_count BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, connection_id, location_name)
);

CREATE TABLE timing_gun_events (
    id BIGSERIAL PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES timing_sessions(id),
    location_name VARCHAR(100) NOT NULL,
    gun_timestamp TIMESTAMP NOT NULL,
    reader_id VARCHAR(16) NOT NULL DEFAULT '',
    sequence_number INTEGER,
    connection_id VARCHAR(128),
    raw_data TEXT,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT timing_gun_events_identity
        UNIQUE (session_id, location_name, gun_timestamp, reader_id)
);

CREATE TABLE connection_log (
    id SERIAL PRIMARY KEY,
    client_ip INET,
    connected_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    disconnected_at TIMESTAMP,
    session_info JSONB,
    message_count INTEGER DEFAULT 0,
    client_port INTEGER,
    session_id INTEGER REFERENCES timing_sessions(id),
    greeting TEXT,
    connection_id VARCHAR(128),
    read_count INTEGER NOT NULL DEFAULT 0,
    duplicate_count INTEGER NOT NULL DEFAULT 0,
    reject_count INTEGER NOT NULL DEFAULT 0,
    close_reason TEXT
);
CREATE INDEX idx_connection_log_connected ON connection_log(connected_at DESC);

CREATE TABLE rejected_lines (
    id BIGSERIAL PRIMARY KEY,
    session_id INTEGER REFERENCES timing_sessions(id),
    connection_log_id INTEGER REFERENCES connection_log(id),
    source VARCHAR(255) NOT NULL,
    line_number INTEGER,
    raw_line BYTEA NOT NULL,
    reason TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_rejected_lines_session ON rejected_lines(session_id, received_at);

-- INCLUDING ALL copies the identity constraint, so the archive holds each read once too.
CREATE TABLE timing_reads_archive (
    LIKE timing_reads INCLUDING ALL,
    archived_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE OR REPLACE FUNCTION archive_old_timing_data()
RETURNS INTEGER AS $$
DECLARE
    archived_count INTEGER;
BEGIN
    WITH archived AS (
        DELETE FROM timing_reads
        WHERE read_timestamp < CURRENT_TIMESTAMP - INTERVAL '30 days'
        RETURNING *
    )
    INSERT INTO timing_reads_archive (
        id, session_id, location_id, sequence_number, location_name, tag_code, read_time,
        read_date, read_timestamp, lap_count, reader_id, gator_number, raw_data, processed_at,
        connection_id, received_at, archived_at)
    SELECT id, session_id, location_id, sequence_number, location_name, tag_code, read_time,
        read_date, read_timestamp, lap_count, reader_id, gator_number, raw_data, processed_at,
        connection_id, received_at, CURRENT_TIMESTAMP
    FROM archived
    ON CONFLICT DO NOTHING;

    GET DIAGNOSTICS archived_count = ROW_COUNT;

    INSERT INTO connection_log (client_ip, session_info, message_count)
    VALUES ('127.0.0.1'::INET,
            jsonb_build_object('action', 'archive', 'archived_count', archived_count),
            archived_count);

    RETURN archived_count;
END;
$$ LANGUAGE plpgsql;
