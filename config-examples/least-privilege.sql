-- Least-privilege roles for pgmesh's connectors, on one node. Run as a superuser in the node's
-- database AFTER schema pgmesh is installed (bin/pgmeshctl init, or a first start of a connector as
-- a superuser: creating pgmesh's event triggers needs one), and again after creating tables that
-- replicate (or use ALTER DEFAULT PRIVILEGES as shown). Replace the passwords, or set them with
-- \password. LeastPrivilegeIT runs a two-node mesh with exactly these statements.

-- The source: logical replication (REPLICATION), reading the published tables for the initial
-- snapshot, and reporting whether it makes progress. pgmesh's own catalog tables it reads are
-- readable by everyone.
CREATE ROLE pgmesh_source LOGIN REPLICATION PASSWORD 'change-me-source';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO pgmesh_source;
GRANT INSERT, UPDATE ON pgmesh.connector_health TO pgmesh_source;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO pgmesh_source;

-- The sink: writes on the replicated tables, pgmesh's bookkeeping, the replication-origin
-- functions (superuser-only unless granted) and session_replication_role (PostgreSQL 15 and later
-- let a superuser grant setting it).
CREATE ROLE pgmesh_sink LOGIN PASSWORD 'change-me-sink';
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO pgmesh_sink;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO pgmesh_sink;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO pgmesh_sink;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgmesh.sink_progress, pgmesh.applied_origins, pgmesh.tombstones,
    pgmesh.conflicts, pgmesh.conflict_counters, pgmesh.exceptions, pgmesh.connector_health TO pgmesh_sink;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA pgmesh TO pgmesh_sink;
GRANT EXECUTE ON FUNCTION pg_catalog.pg_replication_origin_create(text),
    pg_catalog.pg_replication_origin_session_setup(text),
    pg_catalog.pg_replication_origin_session_reset(),
    pg_catalog.pg_replication_origin_session_is_setup(),
    pg_catalog.pg_replication_origin_xact_setup(pg_lsn, timestamp with time zone),
    pg_catalog.pg_replication_origin_progress(text, boolean) TO pgmesh_sink;
GRANT SET ON PARAMETER session_replication_role TO pgmesh_sink;
