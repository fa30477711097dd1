-- plantrack_app: the role the web workers and the `plantrack` commands connect as on PostgreSQL.
-- It owns nothing, so it can neither disable the append-only triggers nor alter, drop or
-- truncate a table; it may not change or delete rows of the append-only tables at all.
--
-- Run it as the role that owns the tables (the one `plantrack db upgrade` connects as: the
-- default privileges below apply to tables that role creates later), in the plantrack database:
--   psql -v ON_ERROR_STOP=1 -d plantrack -f migrations/app_role.sql
-- Running it again is harmless; run it again after an upgrade that adds an append-only table,
-- with that table added to the REVOKE below. tests/core/test_append_only.py runs this file.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'plantrack_app') THEN
        CREATE ROLE plantrack_app LOGIN;
    END IF;
    EXECUTE 'GRANT CONNECT ON DATABASE ' || quote_ident(current_database()) || ' TO plantrack_app';
END $$;

GRANT USAGE ON SCHEMA public TO plantrack_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO plantrack_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO plantrack_app;

-- Append-only: read and add, never change or delete (revoking UPDATE on a table also revokes
-- it on its columns, so the column grant below comes after).
REVOKE UPDATE, DELETE ON status_update, audit_event, published_report, published_file
    FROM plantrack_app;
-- The office reviews a submitted update; its triggers allow submitted -> approved or returned.
GRANT UPDATE (review_state, reviewed_by_id, reviewed_at, review_note) ON status_update
    TO plantrack_app;
-- Only migrations move the schema revision.
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM plantrack_app;

-- Tables and sequences that later migrations create get the same.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO plantrack_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO plantrack_app;
