-- p88 forward: one row per (target, session) the laptop streams to a hub.
--
-- CTP01 acknowledges no read; a server resumes a client stream by its connection id and
-- asks for the sequence numbers it lacks. So what the forwarder must keep is the
-- connection id it used for each target and session: restarted with the same id, the
-- hub's listener asks to resume from what it committed. The forwarder sends reads with
-- their row id as the sequence number. `generation` changes the connection id when the
-- forwarder finds a read committed late below what it already sent (a second writer on
-- the laptop): the hub then sees a new stream and asks for everything, and its
-- exactly-once identity stores only the read it lacked.
CREATE TABLE forward_streams (
    target VARCHAR(255) NOT NULL,
    session_id INTEGER NOT NULL REFERENCES timing_sessions(id),
    stream_key VARCHAR(64) NOT NULL,
    generation INTEGER NOT NULL DEFAULT 1,
    sent_upto BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (target, session_id)
);
