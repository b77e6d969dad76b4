-- pgmesh's objects on a node, in schema pgmesh. Idempotent: the sink runs it on every start.
-- Everything in schema pgmesh is node-local bookkeeping; the source never captures it.

CREATE SCHEMA IF NOT EXISTS pgmesh;

CREATE TABLE IF NOT EXISTS pgmesh.schema_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL
);

-- This database's node name. Set once; a sink configured with another name refuses to start.
CREATE TABLE IF NOT EXISTS pgmesh.node (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    name text NOT NULL CHECK (name ~ '^[a-z0-9_]{1,32}$')
);

CREATE OR REPLACE FUNCTION pgmesh.local_node() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT name FROM pgmesh.node $$;

-- A version of a row: the commit time and node of the transaction that wrote it. Versions are
-- totally ordered by (commit time, node name in "C" collation); the greater one wins.
DO $$ BEGIN
    CREATE TYPE pgmesh.version AS (commit_ts timestamptz, node text);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- The version of the transaction x. Rows written locally (origin 0) and under a replication
-- origin that is not pgmesh's belong to this node; rows applied by a pgmesh sink under origin
-- pgmesh_<peer> belong to that peer and carry its commit time. A frozen xmin, or one older than
-- the commit timestamps kept, has no time: -infinity, older than everything.
CREATE OR REPLACE FUNCTION pgmesh.xact_version(x xid) RETURNS pgmesh.version
LANGUAGE sql STABLE AS $$
    SELECT ROW(coalesce(c.timestamp, '-infinity'::timestamptz),
               CASE WHEN o.roname LIKE 'pgmesh\_%' THEN substr(o.roname, 8) ELSE pgmesh.local_node() END
           )::pgmesh.version
    FROM pg_xact_commit_timestamp_origin(x) AS c
    LEFT JOIN pg_replication_origin AS o ON o.roident = c.roident AND c.roident <> 0
$$;

-- Whether a change with version (remote_ts, remote_node) wins over what transaction x wrote.
CREATE OR REPLACE FUNCTION pgmesh.remote_wins(remote_ts timestamptz, remote_node text, x xid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT ((v).commit_ts, (v).node COLLATE "C") < (remote_ts, remote_node COLLATE "C")
    FROM (SELECT pgmesh.xact_version(x) AS v) AS s
$$;

-- Microseconds since the Unix epoch, or NULL for a time that is not finite.
CREATE OR REPLACE FUNCTION pgmesh.micros(ts timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN isfinite(ts) THEN (extract(epoch FROM ts) * 1000000)::bigint END $$;

-- Tombstones: the key of every deleted row (and a "truncate" marker per truncated table), written
-- in the deleting transaction so that the tombstone's own xmin carries the delete's version. An
-- insert or update of a row that is gone applies only when it is newer than the tombstone.
CREATE TABLE IF NOT EXISTS pgmesh.tombstones (
    relid oid NOT NULL,
    key jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (relid, key)
);
CREATE INDEX IF NOT EXISTS tombstones_recorded_at ON pgmesh.tombstones (recorded_at);

-- The key of a row as the sink computes it: {column: to_jsonb(value)} of the key columns.
CREATE OR REPLACE FUNCTION pgmesh.row_key(r jsonb, cols text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(jsonb_object_agg(c, r -> c), '{}'::jsonb) FROM unnest(cols) AS c $$;

-- Row trigger: remembers the deleted (or re-keyed) row's key. The settings make to_jsonb print
-- values the same way whatever the session's settings, as the sink's own sessions do.
CREATE OR REPLACE FUNCTION pgmesh.record_tombstone() RETURNS trigger
LANGUAGE plpgsql
SET TimeZone = 'UTC' SET DateStyle = 'ISO' SET IntervalStyle = 'postgres' SET extra_float_digits = 3
SET bytea_output = 'hex'
AS $$
BEGIN
    INSERT INTO pgmesh.tombstones (relid, key) VALUES (TG_RELID, pgmesh.row_key(to_jsonb(OLD), TG_ARGV))
    ON CONFLICT (relid, key) DO UPDATE SET recorded_at = now();
    RETURN NULL;
END $$;

-- Statement trigger: remembers that the table was truncated, and when.
CREATE OR REPLACE FUNCTION pgmesh.record_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pgmesh.tombstones (relid, key) VALUES (TG_RELID, '"truncate"'::jsonb)
    ON CONFLICT (relid, key) DO UPDATE SET recorded_at = now();
    RETURN NULL;
END $$;

-- The columns that identify a row: the primary key, or the replica identity index.
CREATE OR REPLACE FUNCTION pgmesh.key_columns(rel regclass) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT array_agg(a.attname::text ORDER BY k.ord)
    FROM pg_index AS i
    JOIN pg_class AS c ON c.oid = i.indrelid
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE i.indrelid = rel
      AND CASE c.relreplident WHEN 'i' THEN i.indisreplident ELSE i.indisprimary END
$$;

CREATE TABLE IF NOT EXISTS pgmesh.change_triggers (
    relid oid PRIMARY KEY,
    key_columns text[]
);

-- Installs (or, when the key changed, re-installs) the tombstone triggers of a table. They are
-- ENABLE ALWAYS so that they also fire in apply sessions (session_replication_role = replica).
CREATE OR REPLACE FUNCTION pgmesh.install_change_triggers(rel regclass) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    cols text[] := pgmesh.key_columns(rel);
    args text;
BEGIN
    IF EXISTS (SELECT 1 FROM pgmesh.change_triggers t WHERE t.relid = rel
               AND t.key_columns IS NOT DISTINCT FROM cols)
       AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = rel AND tgname = 'pgmesh_truncate') THEN
        RETURN false;
    END IF;
    INSERT INTO pgmesh.change_triggers (relid, key_columns) VALUES (rel, cols)
    ON CONFLICT (relid) DO UPDATE SET key_columns = EXCLUDED.key_columns;
    EXECUTE format('DROP TRIGGER IF EXISTS pgmesh_tombstone ON %s', rel);
    EXECUTE format('DROP TRIGGER IF EXISTS pgmesh_rekey ON %s', rel);
    EXECUTE format('DROP TRIGGER IF EXISTS pgmesh_truncate ON %s', rel);
    EXECUTE format('CREATE TRIGGER pgmesh_truncate AFTER TRUNCATE ON %s'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION pgmesh.record_truncate()', rel);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER pgmesh_truncate', rel);
    IF cols IS NOT NULL THEN
        args := (SELECT string_agg(quote_literal(c), ', ') FROM unnest(cols) AS c);
        EXECUTE format('CREATE TRIGGER pgmesh_tombstone AFTER DELETE ON %s'
                       ' FOR EACH ROW EXECUTE FUNCTION pgmesh.record_tombstone(%s)', rel, args);
        EXECUTE format('CREATE TRIGGER pgmesh_rekey AFTER UPDATE OF %s ON %s FOR EACH ROW WHEN (%s)'
                       ' EXECUTE FUNCTION pgmesh.record_tombstone(%s)',
                       (SELECT string_agg(quote_ident(c), ', ') FROM unnest(cols) AS c), rel,
                       (SELECT string_agg(format('OLD.%1$I IS DISTINCT FROM NEW.%1$I', c), ' OR ')
                        FROM unnest(cols) AS c), args);
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER pgmesh_tombstone', rel);
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER pgmesh_rekey', rel);
    END IF;
    RETURN true;
END $$;

-- The tables pgmesh tracks: permanent ordinary and partitioned tables outside system schemas
-- and pgmesh (a partition is tracked through its parent).
CREATE OR REPLACE FUNCTION pgmesh.is_tracked_table(rel oid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE c.oid = rel AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p'
          AND n.nspname <> 'pgmesh' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%')
$$;

CREATE OR REPLACE FUNCTION pgmesh.install_all_change_triggers() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    rel oid;
    installed integer := 0;
BEGIN
    FOR rel IN SELECT c.oid FROM pg_class AS c WHERE pgmesh.is_tracked_table(c.oid) LOOP
        IF pgmesh.install_change_triggers(rel::regclass) THEN
            installed := installed + 1;
        END IF;
    END LOOP;
    DELETE FROM pgmesh.change_triggers AS t WHERE NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = t.relid);
    RETURN installed;
END $$;

-- New tables, and tables whose key changes, get their triggers as the DDL runs.
CREATE OR REPLACE FUNCTION pgmesh.on_table_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    cmd record;
BEGIN
    FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE object_type = 'table' LOOP
        IF pgmesh.is_tracked_table(cmd.objid) THEN
            PERFORM pgmesh.install_change_triggers(cmd.objid::regclass);
        END IF;
    END LOOP;
END $$;

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pgmesh_track_tables') THEN
        CREATE EVENT TRIGGER pgmesh_track_tables ON ddl_command_end
            WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'CREATE TABLE AS', 'SELECT INTO')
            EXECUTE FUNCTION pgmesh.on_table_ddl();
        ALTER EVENT TRIGGER pgmesh_track_tables ENABLE ALWAYS;
    END IF;
END $$;

-- Applies a remote TRUNCATE of several tables (as the origin truncated them together). When no
-- row of them is newer than the truncate it is a real TRUNCATE; otherwise only the older rows are
-- deleted, so a newer concurrent write survives here as it does on its own node. Either way the
-- tables get a truncate marker, so older changes still in flight do not bring rows back.
CREATE OR REPLACE FUNCTION pgmesh.apply_truncate(rels regclass[], remote_ts timestamptz, remote_node text,
                                                 restart_identity boolean) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    rel regclass;
    has_newer boolean;
BEGIN
    FOREACH rel IN ARRAY rels LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s AS t WHERE NOT pgmesh.remote_wins($1, $2, t.xmin))', rel)
            INTO has_newer USING remote_ts, remote_node;
        EXIT WHEN has_newer;
    END LOOP;
    IF NOT has_newer THEN
        EXECUTE format('TRUNCATE %s%s', (SELECT string_agg(r::text, ', ') FROM unnest(rels) AS r),
                       CASE WHEN restart_identity THEN ' RESTART IDENTITY' ELSE '' END);
        RETURN 'truncated';
    END IF;
    FOREACH rel IN ARRAY rels LOOP
        EXECUTE format('DELETE FROM %s AS t WHERE pgmesh.remote_wins($1, $2, t.xmin)', rel)
            USING remote_ts, remote_node;
        INSERT INTO pgmesh.tombstones AS d (relid, key) VALUES (rel, '"truncate"'::jsonb)
        ON CONFLICT (relid, key) DO UPDATE SET recorded_at = now()
        WHERE pgmesh.remote_wins(remote_ts, remote_node, d.xmin);
    END LOOP;
    RETURN 'deleted_older_rows';
END $$;

-- Conflicts, one row each: what collided, both versions, and how it was resolved.
CREATE TABLE IF NOT EXISTS pgmesh.conflicts (
    id bigserial PRIMARY KEY,
    logged_at timestamptz NOT NULL DEFAULT now(),
    conflict_type text NOT NULL,
    table_schema text NOT NULL,
    table_name text NOT NULL,
    key jsonb NOT NULL,
    local_commit_ts timestamptz,
    local_origin text,
    remote_commit_ts timestamptz NOT NULL,
    remote_origin text NOT NULL,
    remote_lsn pg_lsn NOT NULL,
    resolution text NOT NULL,
    local_row jsonb,
    remote_row jsonb
);
CREATE INDEX IF NOT EXISTS conflicts_logged_at ON pgmesh.conflicts (logged_at);

-- Conflict counts survive the log's retention.
CREATE TABLE IF NOT EXISTS pgmesh.conflict_counters (
    conflict_type text NOT NULL,
    resolution text NOT NULL,
    count bigint NOT NULL DEFAULT 0,
    last_at timestamptz,
    PRIMARY KEY (conflict_type, resolution)
);

-- Where each sink stands in each topic partition, committed with the data it applied.
CREATE TABLE IF NOT EXISTS pgmesh.sink_progress (
    connector text NOT NULL,
    topic text NOT NULL,
    kafka_partition integer NOT NULL,
    next_offset bigint NOT NULL,
    seen jsonb NOT NULL DEFAULT '{}'::jsonb,
    started_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector, topic, kafka_partition)
);

-- The last transaction of each origin applied on this node, committed with it. (PostgreSQL's own
-- replication-origin progress is not used to skip applied transactions: a transaction that set
-- pg_replication_origin_xact_setup and then rolls back, or whose session is killed, advances it
-- too, as if it had been applied.)
CREATE TABLE IF NOT EXISTS pgmesh.applied_origins (
    origin text PRIMARY KEY,
    lsn pg_lsn NOT NULL,
    commit_ts timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO pgmesh.schema_version (version) VALUES (1)
ON CONFLICT (singleton) DO UPDATE SET version = greatest(pgmesh.schema_version.version, EXCLUDED.version);
