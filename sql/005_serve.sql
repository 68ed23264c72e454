-- 005: read totals kept by triggers, so the seed's stats and sessions endpoints answer in
-- milliseconds on a table of millions of reads instead of scanning it on every request.
--
-- * timing_read_totals: reads, first and last read per (session, location).
-- * timing_tag_totals: reads per (session, location, tag): unique tags of a session.
-- * timing_location_tags: reads per (location, tag) across sessions: unique tags overall
--   and per location, the seed's /api/timing/stats.
--
-- Statement-level AFTER triggers with transition tables keep them exact: one grouped upsert
-- per table per INSERT statement (a listener batch, a COPY), whatever its size; rows an
-- INSERT ... ON CONFLICT DO NOTHING skipped are not in the transition table, so duplicates
-- are never counted. Every upsert takes its rows in key order, so two writers that insert
-- a batch with ONE statement per transaction (the listener's INSERT ... SELECT from its
-- stage, COPY) never deadlock on them; a writer that runs several inserts of reads in one
-- transaction holds totals rows across them and can deadlock with another such writer. DELETE (the archive) and UPDATE subtract what left and recompute first
-- and last read for the keys they touched; TRUNCATE empties the totals. The trigger is
-- created before the backfill: its lock holds writers back until this migration commits,
-- so the totals start exact.

CREATE TABLE timing_read_totals (
    session_id INTEGER NOT NULL,
    location_name VARCHAR(100) NOT NULL,
    read_count BIGINT NOT NULL,
    first_read TIMESTAMP,
    last_read TIMESTAMP,
    PRIMARY KEY (session_id, location_name)
);

CREATE TABLE timing_tag_totals (
    session_id INTEGER NOT NULL,
    location_name VARCHAR(100) NOT NULL,
    tag_code VARCHAR(16) NOT NULL,
    read_count BIGINT NOT NULL,
    PRIMARY KEY (session_id, location_name, tag_code)
);

CREATE TABLE timing_location_tags (
    location_name VARCHAR(100) NOT NULL,
    tag_code VARCHAR(16) NOT NULL,
    read_count BIGINT NOT NULL,
    PRIMARY KEY (location_name, tag_code)
);

CREATE FUNCTION timing_totals_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO timing_read_totals AS t (session_id, location_name, read_count, first_read,
                                         last_read)
    SELECT session_id, location_name, count(*), min(read_timestamp), max(read_timestamp)
    FROM new_rows GROUP BY session_id, location_name ORDER BY session_id, location_name
    ON CONFLICT (session_id, location_name) DO UPDATE
        SET read_count = t.read_count + EXCLUDED.read_count,
            first_read = LEAST(t.first_read, EXCLUDED.first_read),
            last_read = GREATEST(t.last_read, EXCLUDED.last_read);
    INSERT INTO timing_tag_totals AS t (session_id, location_name, tag_code, read_count)
    SELECT session_id, location_name, tag_code, count(*)
    FROM new_rows GROUP BY session_id, location_name, tag_code
    ORDER BY session_id, location_name, tag_code
    ON CONFLICT (session_id, location_name, tag_code) DO UPDATE
        SET read_count = t.read_count + EXCLUDED.read_count;
    INSERT INTO timing_location_tags AS t (location_name, tag_code, read_count)
    SELECT location_name, tag_code, count(*)
    FROM new_rows GROUP BY location_name, tag_code ORDER BY location_name, tag_code
    ON CONFLICT (location_name, tag_code) DO UPDATE
        SET read_count = t.read_count + EXCLUDED.read_count;
    RETURN NULL;
END;
$$;

CREATE FUNCTION timing_totals_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Lock the affected rows in key order first, then subtract.
    PERFORM 1 FROM timing_read_totals t
    WHERE (t.session_id, t.location_name) IN (SELECT session_id, location_name FROM old_rows)
    ORDER BY t.session_id, t.location_name FOR UPDATE;
    UPDATE timing_read_totals t SET read_count = t.read_count - d.n
    FROM (SELECT session_id, location_name, count(*) AS n FROM old_rows
          GROUP BY session_id, location_name) d
    WHERE t.session_id = d.session_id AND t.location_name = d.location_name;
    UPDATE timing_read_totals t
    SET first_read = (SELECT min(r.read_timestamp) FROM timing_reads r
                      WHERE r.session_id = t.session_id AND r.location_name = t.location_name),
        last_read = (SELECT max(r.read_timestamp) FROM timing_reads r
                     WHERE r.session_id = t.session_id AND r.location_name = t.location_name)
    WHERE (t.session_id, t.location_name) IN (SELECT session_id, location_name FROM old_rows);
    DELETE FROM timing_read_totals WHERE read_count <= 0;

    PERFORM 1 FROM timing_tag_totals t
    WHERE (t.session_id, t.location_name, t.tag_code)
          IN (SELECT session_id, location_name, tag_code FROM old_rows)
    ORDER BY t.session_id, t.location_name, t.tag_code FOR UPDATE;
    UPDATE timing_tag_totals t SET read_count = t.read_count - d.n
    FROM (SELECT session_id, location_name, tag_code, count(*) AS n FROM old_rows
          GROUP BY session_id, location_name, tag_code) d
    WHERE t.session_id = d.session_id AND t.location_name = d.location_name
      AND t.tag_code = d.tag_code;
    DELETE FROM timing_tag_totals WHERE read_count <= 0;

    PERFORM 1 FROM timing_location_tags t
    WHERE (t.location_name, t.tag_code) IN (SELECT location_name, tag_code FROM old_rows)
    ORDER BY t.location_name, t.tag_code FOR UPDATE;
    UPDATE timing_location_tags t SET read_count = t.read_count - d.n
    FROM (SELECT location_name, tag_code, count(*) AS n FROM old_rows
          GROUP BY location_name, tag_code) d
    WHERE t.location_name = d.location_name AND t.tag_code = d.tag_code;
    DELETE FROM timing_location_tags WHERE read_count <= 0;
    RETURN NULL;
END;
$$;

CREATE FUNCTION timing_totals_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE timing_read_totals, timing_tag_totals, timing_location_tags;
    RETURN NULL;
END;
$$;

CREATE TRIGGER timing_reads_totals_insert AFTER INSERT ON timing_reads
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION timing_totals_add();
CREATE TRIGGER timing_reads_totals_delete AFTER DELETE ON timing_reads
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION timing_totals_remove();
-- An UPDATE is a removal of the old rows plus an addition of the new (nobody updates reads
-- today; this keeps the totals exact if someone does).
CREATE TRIGGER timing_reads_totals_update_old AFTER UPDATE ON timing_reads
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION timing_totals_remove();
CREATE TRIGGER timing_reads_totals_update_new AFTER UPDATE ON timing_reads
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION timing_totals_add();
CREATE TRIGGER timing_reads_totals_truncate AFTER TRUNCATE ON timing_reads
    FOR EACH STATEMENT EXECUTE FUNCTION timing_totals_truncate();

INSERT INTO timing_read_totals (session_id, location_name, read_count, first_read, last_read)
SELECT session_id, location_name, count(*), min(read_timestamp), max(read_timestamp)
FROM timing_reads GROUP BY session_id, location_name;
INSERT INTO timing_tag_totals (session_id, location_name, tag_code, read_count)
SELECT session_id, location_name, tag_code, count(*)
FROM timing_reads GROUP BY session_id, location_name, tag_code;
INSERT INTO timing_location_tags (location_name, tag_code, read_count)
SELECT location_name, tag_code, count(*) FROM timing_reads GROUP BY location_name, tag_code;
