-- 017: live scoring keeps its position in the database, and points can have a cut-off.
--
-- `p88 results follow` (continuous scoring, src/p88/store/results/live.py) scores a race
-- as the listener commits reads. What it has scored is recorded in the same transaction
-- as the results it wrote, so a follower restarted (or one whose database went away)
-- resumes exactly where the last commit left it, without rescoring the race:
--
-- * read_upto: the highest read id scored. The next step takes reads above it, and those
--   a little below it that have no verdict yet (ids come from a sequence, so a concurrent
--   writer's batch can commit an id lower than one already seen).
-- * basis: a digest of what the scored results depend on besides the reads (points,
--   settings, the gun, wave starts). A follower that finds another basis rescores all.
-- * clock: the race clock (latest read of the session) at the last step; cut-offs
--   (below) are judged against it, the same way a full rescore judges them.
-- * steps / reads_scored: counters for `p88 results follow` and the benchmark.
--
-- Only one follower scores a race at a time: it holds a session-level advisory lock
-- (namespace 8861163, the race id) for as long as it runs, and every scoring transaction
-- (follower or `p88 results score`) also takes the per-race transaction lock (8861162).
--
-- ct_race_points.cutoff: the course closes at this point so long after the runner's gun
-- (or wave start). A runner who crosses it later, or who has not crossed it when the race
-- clock passes it, is DNF and the note says why (`p88 results points --cutoff 30K=4:30:00`).

CREATE TABLE ct_live_scoring (
    race_id INTEGER PRIMARY KEY REFERENCES ct_races(id) ON DELETE CASCADE,
    session_id INTEGER NOT NULL REFERENCES timing_sessions(id),
    read_upto BIGINT NOT NULL DEFAULT 0,
    basis VARCHAR(64) NOT NULL,
    clock TIMESTAMP,
    steps BIGINT NOT NULL DEFAULT 0,
    reads_scored BIGINT NOT NULL DEFAULT 0,
    follower TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE ct_live_scoring IS
    'Position of continuous scoring per race (p88 results follow): read_upto is the highest read id scored.';

ALTER TABLE ct_race_points ADD COLUMN cutoff INTERVAL CHECK (cutoff > INTERVAL '0');
COMMENT ON COLUMN ct_race_points.cutoff IS
    'Course closes at this point this long after the runner''s gun: later (or missing) crossings are DNF.';

-- Places move while a race is followed: each finisher from a later wave (place by gun
-- time) or a later starter (by chip time) moves everyone behind them, so one step can
-- rewrite hundreds of rows' places. Places are not indexed, so with room left in each page
-- those updates are HOT (no index entries to add); the default fillfactor 100 leaves none.
-- Rows written from now on (a race's entries are inserted at registration) keep 15% free.
ALTER TABLE ct_results SET (fillfactor = 85);
