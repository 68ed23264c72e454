-- 003: what the listener needs beyond the raw timing schema.
--
-- * connection_log.conn_key: the listener's own id for a connection (a UUID it makes at
--   accept time). Ops that reach the database late (from the spool, after an outage or a
--   restart) find their connection_log row by it, and re-inserting the row is a no-op.
-- * listener_spool_marks: how far each local spool file has been drained, written in the
--   same transaction as the rows drained from it, so a crash between commit and deleting
--   the file never applies a spooled reject or connection row twice.

ALTER TABLE connection_log ADD COLUMN conn_key VARCHAR(64);
CREATE UNIQUE INDEX connection_log_conn_key ON connection_log(conn_key);

CREATE TABLE listener_spool_marks (
    spool_id VARCHAR(128) PRIMARY KEY,
    drained_upto BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
