-- 006: drop the foreign key from timing_reads.location_id to timing_locations(id).
--
-- Why: PostgreSQL checks a foreign key row by row (a lookup and a KEY SHARE lock on the
-- location for every read), and the listener fills location_id on every read, while the
-- seed's insert left it NULL and never paid for it. Measured side by side on the same
-- rows, COPY with the key checked ran 20-30% slower than without it; the listener's
-- throughput is bounded by that COPY (bench/ingest.py). The key also stood in the way of
-- the scale-out path in the design notes: Citus cannot distribute timing_reads by session
-- with a foreign key to timing_locations(id), whose key does not include the session.
--
-- What keeps the reference sound without it: the only writer of location_id is
-- p88.store.ingest, which takes it from the timing_locations row it created (or found)
-- for the same session and location, in the same transaction or an earlier committed one;
-- nothing in p88 deletes timing_locations rows; and store/reads.py joins on the id OR on
-- (session, location name), so a read with a NULL id still finds its location.
-- The session foreign key (timing_reads.session_id) stays: every COPY pays it, the
-- baseline's included, and Citus allows it to a reference table.

ALTER TABLE timing_reads DROP CONSTRAINT IF EXISTS timing_reads_location_id_fkey;
