-- 004: p88_ask, the role `p88 ask` runs its questions as: it can only SELECT, and only
-- the tables a question may read (the allow-list in src/p88/nlq/schema.py).
--
-- The guard already refuses anything but a read of those tables, and every question runs
-- in a READ ONLY transaction; this role is the third wall. Roles belong to the whole server,
-- so the role may already exist (made by another database's migration): then only the
-- grants of this database are added. Where the migrating user may not create roles (a
-- managed server, a restricted account) this migration does nothing and says so in a
-- NOTICE: `p88 ask` then runs as the connecting user, still read-only and guarded.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'p88_ask') THEN
        BEGIN
            CREATE ROLE p88_ask NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
        EXCEPTION
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'p88_ask not created (no CREATEROLE): p88 ask runs as the connecting user';
                RETURN;
            WHEN duplicate_object OR unique_violation THEN
                NULL;  -- created meanwhile by a migration of another database
        END;
    END IF;

    BEGIN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO p88_ask', current_schema());
        EXECUTE 'GRANT SELECT ON timing_partners, ct_events, ct_races, ct_race_waves, '
            'ct_participants, ct_results, ct_splits, bq_standards, timing_sessions, '
            'timing_locations, timing_reads TO p88_ask';
    EXCEPTION
        WHEN insufficient_privilege THEN
            RAISE NOTICE 'p88_ask exists but this user cannot grant it SELECT here';
            RETURN;
    END;

    -- So that the connecting user may SET ROLE p88_ask (a superuser always may).
    BEGIN
        EXECUTE format('GRANT p88_ask TO %I', current_user);
    EXCEPTION
        WHEN insufficient_privilege OR invalid_grant_operation OR feature_not_supported THEN
            RAISE NOTICE 'cannot grant p88_ask to %: p88 ask runs as the connecting user', current_user;
    END;
END
$$;
