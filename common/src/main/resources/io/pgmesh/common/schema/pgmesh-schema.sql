-- pgmesh's objects on a node, in schema pgmesh. Idempotent: both connectors run it on start when
-- it is missing or older (event triggers need a superuser). Everything in schema pgmesh is
-- node-local bookkeeping; the source never captures it.
--
-- Privileges: the schema is usable by every role (for snowflake_id() defaults and the capture
-- triggers); its tables are not. Functions that act with the owner's rights (SECURITY DEFINER) pin
-- search_path and only act on what the running command or trigger hands them.

SET pgmesh.internal_ddl = on;

CREATE SCHEMA IF NOT EXISTS pgmesh;

CREATE TABLE IF NOT EXISTS pgmesh.schema_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL
);

-- This database's node name. Set once; a sink configured with another name refuses to start.
CREATE TABLE IF NOT EXISTS pgmesh.node (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    name text NOT NULL CHECK (name ~ '^[a-z0-9_]{1,32}$'),
    number smallint CHECK (number BETWEEN 0 AND 1023)
);

-- Runs DDL that pgmesh issues itself (triggers, publications, sequences): never replicated.
CREATE OR REPLACE FUNCTION pgmesh.run_internal(statement text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    before text := coalesce(current_setting('pgmesh.internal_ddl', true), '');
BEGIN
    PERFORM set_config('pgmesh.internal_ddl', 'on', true);
    EXECUTE statement;
    PERFORM set_config('pgmesh.internal_ddl', before, true);
END $$;

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

-- The tombstone triggers' function for tables keyed by the columns cols, created when first needed
-- (one per list of key column names, shared by every table keyed so): it remembers the deleted (or
-- re-keyed) row's key, {column: to_jsonb(OLD.column)} of those columns only, as the sink computes
-- it. Only the key is read: a value the row holds elsewhere that has no jsonb form (a json column
-- holding \u0000) never makes the application's DELETE fail, and wide rows are not detoasted. The
-- settings make to_jsonb print values the same way whatever the session's settings, as the sink's
-- own sessions do. Returns the function's name.
CREATE OR REPLACE FUNCTION pgmesh.tombstone_function(cols text[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    fn text := 'record_tombstone_' || md5(cols::text);
BEGIN
    IF to_regprocedure(format('pgmesh.%I()', fn)) IS NULL THEN
        PERFORM pgmesh.run_internal(format(
            'CREATE FUNCTION pgmesh.%I() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER'
            ' SET search_path = pg_catalog SET TimeZone = %L SET DateStyle = %L SET IntervalStyle = %L'
            ' SET extra_float_digits = 3 SET bytea_output = %L AS %L', fn, 'UTC', 'ISO', 'postgres', 'hex',
            format('BEGIN INSERT INTO pgmesh.tombstones (relid, key) VALUES (TG_RELID, jsonb_build_object(%s))'
                   ' ON CONFLICT (relid, key) DO UPDATE SET recorded_at = now(); RETURN NULL; END',
                   (SELECT string_agg(format('%L::text, to_jsonb(OLD.%I)', c, c), ', ' ORDER BY o)
                    FROM unnest(cols) WITH ORDINALITY AS k(c, o)))));
    END IF;
    RETURN format('pgmesh.%I', fn);
END $$;

-- The tombstone trigger of schema versions before 4, kept for triggers not re-installed yet: it too
-- reads the key columns only (given as its arguments), though planned for every row.
CREATE OR REPLACE FUNCTION pgmesh.record_tombstone() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
SET TimeZone = 'UTC' SET DateStyle = 'ISO' SET IntervalStyle = 'postgres' SET extra_float_digits = 3
SET bytea_output = 'hex'
AS $$
DECLARE
    k jsonb;
BEGIN
    EXECUTE format('SELECT jsonb_build_object(%s) FROM (SELECT ($1).*) AS o',
                   (SELECT string_agg(format('%L::text, to_jsonb(o.%I)', c, c), ', ' ORDER BY n)
                    FROM unnest(TG_ARGV) WITH ORDINALITY AS a(c, n)))
    INTO k USING OLD;
    INSERT INTO pgmesh.tombstones (relid, key) VALUES (TG_RELID, k)
    ON CONFLICT (relid, key) DO UPDATE SET recorded_at = now();
    RETURN NULL;
END $$;

-- The local row as JSON for the conflict log (apply.log.conflict.rows): a row with a value that has
-- no jsonb form (a json column holding \u0000) is logged as its text instead of failing the apply.
CREATE OR REPLACE FUNCTION pgmesh.row_image(r anyelement) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN to_jsonb(r);
EXCEPTION WHEN untranslatable_character OR invalid_text_representation OR character_not_in_repertoire THEN
    RETURN jsonb_build_object('row_text', r::text);
END $$;

-- Called by the sink's apply statement for a row it has just inserted (not updated): a local
-- transaction that deleted the row, or moved it to another key, may have committed while the
-- statement ran, after the statement had looked for the row and its tombstone; PostgreSQL's
-- INSERT ... ON CONFLICT then inserts. Looking again with a snapshot of its own (the function is
-- VOLATILE), it fails the apply with serialization_failure when a tombstone or truncate marker newer
-- than the remote change is committed now: the sink applies the transaction again, and then sees
-- the newer delete. Tombstones of the sink's own open transaction have no commit time yet and count
-- as older.
CREATE OR REPLACE FUNCTION pgmesh.no_newer_tombstone(rel oid, row_key jsonb, remote_ts timestamptz,
                                                     remote_node text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pgmesh.tombstones AS d
               WHERE d.relid = rel AND d.key IN (row_key, '"truncate"'::jsonb)
                 AND NOT pgmesh.remote_wins(remote_ts, remote_node, d.xmin)) THEN
        RAISE EXCEPTION 'pgmesh: row % of % was deleted or moved by a newer local transaction while the sink applied'
            ' an older change of it', row_key, rel::regclass
            USING ERRCODE = '40001', HINT = 'The sink applies the transaction again by itself.';
    END IF;
    RETURN true;
END $$;

-- Called by the sink's statement that inserts a snapshot's rows where there is neither a row nor a
-- tombstone: a tombstone of one of the inserted keys committed now was written by a local delete
-- while the statement ran. Fails the apply with serialization_failure; the sink applies those rows
-- again one by one, deciding on each by last-update-wins.
CREATE OR REPLACE FUNCTION pgmesh.no_tombstones(rel oid, row_keys jsonb[]) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF row_keys IS NOT NULL AND EXISTS (SELECT 1 FROM pgmesh.tombstones AS d
               WHERE d.relid = rel AND (d.key = ANY (row_keys) OR d.key = '"truncate"'::jsonb)
                 AND pg_xact_commit_timestamp(d.xmin) IS NOT NULL) THEN
        RAISE EXCEPTION 'pgmesh: a row of % the sink inserted from a snapshot was deleted by a local transaction'
            ' while the sink applied it', rel::regclass
            USING ERRCODE = '40001', HINT = 'The sink applies the rows again by itself.';
    END IF;
    RETURN true;
END $$;

-- Called by the sink's apply statement when the row it found had to give way to the remote change,
-- yet the write found nothing to change: a local transaction changed, deleted or moved the row
-- while the statement ran. Fails the apply with serialization_failure; the sink applies the
-- transaction again and decides on the row as it is now.
CREATE OR REPLACE FUNCTION pgmesh.changed_concurrently(rel oid, row_key jsonb) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'pgmesh: row % of % was changed by a local transaction while the sink applied a change of it',
        row_key, rel::regclass USING ERRCODE = '40001', HINT = 'The sink applies the transaction again by itself.';
END $$;

-- Statement trigger: remembers that the table was truncated, and when.
CREATE OR REPLACE FUNCTION pgmesh.record_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
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
LANGUAGE plpgsql SET client_min_messages = warning AS $$
DECLARE
    cols text[] := pgmesh.key_columns(rel);
    fn text;
BEGIN
    IF EXISTS (SELECT 1 FROM pgmesh.change_triggers t WHERE t.relid = rel
               AND t.key_columns IS NOT DISTINCT FROM cols)
       AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = rel AND tgname = 'pgmesh_truncate') THEN
        RETURN false;
    END IF;
    INSERT INTO pgmesh.change_triggers (relid, key_columns) VALUES (rel, cols)
    ON CONFLICT (relid) DO UPDATE SET key_columns = EXCLUDED.key_columns;
    PERFORM pgmesh.run_internal(format('DROP TRIGGER IF EXISTS pgmesh_tombstone ON %s', rel));
    PERFORM pgmesh.run_internal(format('DROP TRIGGER IF EXISTS pgmesh_rekey ON %s', rel));
    PERFORM pgmesh.run_internal(format('DROP TRIGGER IF EXISTS pgmesh_truncate ON %s', rel));
    PERFORM pgmesh.run_internal(format('CREATE TRIGGER pgmesh_truncate AFTER TRUNCATE ON %s'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION pgmesh.record_truncate()', rel));
    PERFORM pgmesh.run_internal(format('ALTER TABLE %s ENABLE ALWAYS TRIGGER pgmesh_truncate', rel));
    IF cols IS NOT NULL THEN
        fn := pgmesh.tombstone_function(cols);
        PERFORM pgmesh.run_internal(format('CREATE TRIGGER pgmesh_tombstone AFTER DELETE ON %s'
                       ' FOR EACH ROW EXECUTE FUNCTION %s()', rel, fn));
        PERFORM pgmesh.run_internal(format('CREATE TRIGGER pgmesh_rekey AFTER UPDATE OF %s ON %s FOR EACH ROW WHEN (%s)'
                       ' EXECUTE FUNCTION %s()',
                       (SELECT string_agg(quote_ident(c), ', ') FROM unnest(cols) AS c), rel,
                       (SELECT string_agg(format('OLD.%1$I IS DISTINCT FROM NEW.%1$I', c), ' OR ')
                        FROM unnest(cols) AS c), fn));
        PERFORM pgmesh.run_internal(format('ALTER TABLE %s ENABLE ALWAYS TRIGGER pgmesh_tombstone', rel));
        PERFORM pgmesh.run_internal(format('ALTER TABLE %s ENABLE ALWAYS TRIGGER pgmesh_rekey', rel));
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

-- New tables, and tables whose key changes, get their triggers (and a replication set) as the DDL
-- runs (not into a set when the DDL stays local: see capture_ddl_command, whose trigger fires first,
-- pgmesh_capture_ddl sorting before pgmesh_track_tables). The work is done with the schema owner's rights, on the objects of the running command only
-- (pg_event_trigger_ddl_commands() cannot be called outside an event trigger).
CREATE OR REPLACE FUNCTION pgmesh.track_ddl_tables() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    cmd record;
    stays_local boolean := coalesce(current_setting('pgmesh.local_ddl', true), '') = 'on';
BEGIN
    IF coalesce(current_setting('pgmesh.internal_ddl', true), '') = 'on' THEN
        RETURN;
    END IF;
    FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands() AS c WHERE c.object_type = 'table' LOOP
        IF pgmesh.is_tracked_table(cmd.objid) THEN
            PERFORM pgmesh.install_change_triggers(cmd.objid::regclass);
            IF NOT stays_local THEN
                PERFORM pgmesh.place_in_default_set(cmd.objid::regclass, cmd.command_tag <> 'ALTER TABLE');
            ELSIF cmd.command_tag <> 'ALTER TABLE' THEN
                RAISE NOTICE 'pgmesh: table % is not in a replication set, as its creation was not replicated',
                    cmd.objid::regclass USING HINT = 'Create it on the other nodes, then add it with'
                    ' pgmesh.repset_add_table() on every node.';
            END IF;
        END IF;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION pgmesh.on_table_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pgmesh.track_ddl_tables();
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

-- Replication sets. Set s is the publication pgmesh_s: its publish actions, row filters and
-- column lists filter inside the server; the source tags each change with the sets of its table
-- that publish that kind of change. Sets are configured per node (run these on every node).
CREATE OR REPLACE FUNCTION pgmesh.publication(set_name text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF set_name IS NULL OR set_name !~ '^[a-z0-9_]{1,56}$' THEN
        RAISE EXCEPTION 'invalid replication set name "%"', set_name
            USING ERRCODE = '22023', HINT = 'Use 1 to 56 characters of [a-z0-9_].';
    END IF;
    RETURN 'pgmesh_' || set_name;
END $$;

CREATE OR REPLACE VIEW pgmesh.replication_sets AS
    SELECT substr(p.pubname, 8) AS set_name, p.pubinsert AS replicate_insert, p.pubupdate AS replicate_update,
           p.pubdelete AS replicate_delete, p.pubtruncate AS replicate_truncate
    FROM pg_publication AS p WHERE p.pubname LIKE 'pgmesh\_%';

CREATE OR REPLACE VIEW pgmesh.replicated_tables AS
    SELECT substr(t.pubname, 8) AS set_name, t.schemaname, t.tablename, t.attnames AS columns,
           t.rowfilter AS row_filter
    FROM pg_publication_tables AS t WHERE t.pubname LIKE 'pgmesh\_%';

-- Since when each replication set may be streamed. PostgreSQL 15 to 17 fail a logical stream that
-- names a publication as soon as it decodes a change committed before that publication existed. So
-- a source names a set's publication only in streams that start at or after the commit that created
-- the set: the source records that position when it decodes the set's creation (a pgmesh.sets
-- message), or when it creates its slot, for the sets already there. NULL: not known yet.
CREATE TABLE IF NOT EXISTS pgmesh.set_streamable (
    set_name text PRIMARY KEY,
    since pg_lsn
);

-- Records a set's creation or drop, and tells the node's source in its stream (message pgmesh.sets,
-- in the same transaction), so that it starts its stream again with the new sets. Not for PUBLIC.
-- A drop leaves its row (publications are joined in): a row changed after a DROP PUBLICATION in the
-- same transaction would fail the running stream, which still names the publication.
CREATE OR REPLACE FUNCTION pgmesh.announce_set_change(name text, change text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF change = 'create' THEN
        INSERT INTO pgmesh.set_streamable AS s (set_name) VALUES (name)
        ON CONFLICT (set_name) DO UPDATE SET since = NULL;
    ELSIF change <> 'drop' THEN
        RAISE EXCEPTION 'unknown replication set change %', change USING ERRCODE = '22023';
    END IF;
    PERFORM pg_logical_emit_message(true, 'pgmesh.sets', json_build_object('set', name, 'change', change)::text);
END $$;
REVOKE ALL ON FUNCTION pgmesh.announce_set_change(text, text) FROM PUBLIC;

-- Called by the source: the sets (all those not known yet, when sets is NULL) may be streamed from
-- position since on. Only for roles that may stream (REPLICATION or superuser).
CREATE OR REPLACE FUNCTION pgmesh.mark_sets_streamable(sets text[], since pg_lsn) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    marked integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND (rolreplication OR rolsuper)) THEN
        RAISE EXCEPTION 'only a role that may stream changes can mark replication sets streamable'
            USING ERRCODE = '42501';
    END IF;
    IF sets IS NULL THEN
        UPDATE pgmesh.set_streamable AS s SET since = mark_sets_streamable.since WHERE s.since IS NULL;
        -- a new slot: the membership changes committed before it are in effect for all it streams
        UPDATE pgmesh.set_membership_log AS l SET commit_lsn = mark_sets_streamable.since WHERE l.commit_lsn IS NULL;
    ELSE
        UPDATE pgmesh.set_streamable AS s SET since = mark_sets_streamable.since WHERE s.set_name = ANY (sets);
    END IF;
    GET DIAGNOSTICS marked = ROW_COUNT;
    RETURN marked;
END $$;

-- Every change of a table's membership of a replication set (since version 5), so that a source
-- tags each change with the sets its table was in when it was committed, not with the sets it is in
-- when the source decodes it, which may be much later: a table moved to another set meanwhile would
-- otherwise have its earlier changes tagged with a set no stream names, and no sink would apply
-- them. The source records the commit position of an entry as it decodes the entry's
-- pgmesh.members message (commit_lsn NULL: not decoded yet), and forgets entries every logical slot
-- of the database has confirmed. The publication's flags are those it had then.
CREATE TABLE IF NOT EXISTS pgmesh.set_membership_log (
    id bigserial PRIMARY KEY,
    pubname text NOT NULL,
    relid oid NOT NULL,
    added boolean NOT NULL,
    pubinsert boolean NOT NULL,
    pubupdate boolean NOT NULL,
    pubdelete boolean NOT NULL,
    pubtruncate boolean NOT NULL,
    commit_lsn pg_lsn
);
CREATE INDEX IF NOT EXISTS set_membership_log_relid ON pgmesh.set_membership_log (relid);

-- Records that table rel joined (added) or left publication pub in the running transaction, and
-- tells the node's source in its stream (message pgmesh.members, in the same transaction).
CREATE OR REPLACE FUNCTION pgmesh.log_membership(pub text, rel oid, added boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    p pg_publication;
    entry bigint;
BEGIN
    SELECT * INTO p FROM pg_publication WHERE pubname = pub;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO pgmesh.set_membership_log (pubname, relid, added, pubinsert, pubupdate, pubdelete, pubtruncate)
    VALUES (pub, rel, added, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate)
    RETURNING id INTO entry;
    PERFORM pg_logical_emit_message(true, 'pgmesh.members', json_build_object('id', entry, 'relid', rel::bigint)::text);
END $$;
REVOKE ALL ON FUNCTION pgmesh.log_membership(text, oid, boolean) FROM PUBLIC;

-- Adds table rel to publication pub (tail: its column list and row filter) or drops it from it, and
-- logs the change (see pgmesh.set_membership_log). Not for PUBLIC.
CREATE OR REPLACE FUNCTION pgmesh.change_membership(pub text, rel regclass, added boolean, tail text DEFAULT '')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pgmesh.run_internal(format('ALTER PUBLICATION %I %s TABLE %s%s', pub,
        CASE WHEN added THEN 'ADD' ELSE 'DROP' END, rel, tail));
    PERFORM pgmesh.log_membership(pub, rel, added);
END $$;
REVOKE ALL ON FUNCTION pgmesh.change_membership(text, regclass, boolean, text) FROM PUBLIC;

-- Called by the source as it decodes the pgmesh.members message of entry id, committed at lsn; also
-- forgets the entries that every logical slot of the database has confirmed. Only for roles that
-- may stream (REPLICATION or superuser).
CREATE OR REPLACE FUNCTION pgmesh.mark_membership_decoded(id bigint, lsn pg_lsn) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND (rolreplication OR rolsuper)) THEN
        RAISE EXCEPTION 'only a role that may stream changes can mark membership changes decoded'
            USING ERRCODE = '42501';
    END IF;
    UPDATE pgmesh.set_membership_log AS l SET commit_lsn = mark_membership_decoded.lsn
    WHERE l.id = mark_membership_decoded.id;
    DELETE FROM pgmesh.set_membership_log AS l
    WHERE l.commit_lsn < (SELECT min(s.confirmed_flush_lsn) FROM pg_replication_slots AS s
                          WHERE s.database = current_database() AND s.slot_type = 'logical');
END $$;

CREATE OR REPLACE FUNCTION pgmesh.set_publication(set_name text) RETURNS pg_publication
LANGUAGE plpgsql STABLE AS $$
DECLARE
    p pg_publication;
BEGIN
    SELECT * INTO p FROM pg_publication WHERE pubname = pgmesh.publication(set_name);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'replication set "%" does not exist', set_name USING ERRCODE = '42704',
            HINT = 'Create it with pgmesh.repset_create().';
    END IF;
    RETURN p;
END $$;

CREATE OR REPLACE FUNCTION pgmesh.publish_option(ins boolean, upd boolean, del boolean, trunc boolean) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws(', ', CASE WHEN ins THEN 'insert' END, CASE WHEN upd THEN 'update' END,
                     CASE WHEN del THEN 'delete' END, CASE WHEN trunc THEN 'truncate' END)
$$;

CREATE OR REPLACE FUNCTION pgmesh.repset_create(set_name text, replicate_insert boolean DEFAULT true,
                                                replicate_update boolean DEFAULT true,
                                                replicate_delete boolean DEFAULT true,
                                                replicate_truncate boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_publication WHERE pubname = pgmesh.publication(set_name)) THEN
        RAISE EXCEPTION 'replication set "%" already exists', set_name USING ERRCODE = '42710';
    END IF;
    PERFORM pgmesh.run_internal(format('CREATE PUBLICATION %I WITH (publish = %L, publish_via_partition_root = true)',
        pgmesh.publication(set_name),
        pgmesh.publish_option(replicate_insert, replicate_update, replicate_delete, replicate_truncate)));
    PERFORM pgmesh.announce_set_change(set_name, 'create');
END $$;

-- The tables of a set that cannot replicate updates and deletes (no primary key or replica identity index).
CREATE OR REPLACE FUNCTION pgmesh.set_tables_without_key(set_name text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(r.prrelid::regclass::text, ', ')
    FROM pg_publication_rel AS r JOIN pg_publication AS p ON p.oid = r.prpubid
    WHERE p.pubname = pgmesh.publication(set_name) AND pgmesh.key_columns(r.prrelid::regclass) IS NULL
$$;

-- Why a table's row filter or column list in a set would make its updates or deletes fail (they
-- must only use, or must include, the replica identity's columns), or NULL. PostgreSQL checks this
-- only when the update or delete runs, in the application's session.
CREATE OR REPLACE FUNCTION pgmesh.identity_problem(pub oid, rel regclass) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN c.relreplident = 'f' AND r.prattrs IS NOT NULL
            THEN 'it has REPLICA IDENTITY FULL, which a column list cannot include'
        WHEN c.relreplident <> 'f' AND r.prqual IS NOT NULL AND EXISTS (
                SELECT 1 FROM regexp_matches(r.prqual::text, ':varattno (\d+)', 'g') AS v(m)
                JOIN pg_attribute AS a ON a.attrelid = rel AND a.attnum = v.m[1]::int2
                WHERE a.attname <> ALL (coalesce(pgmesh.key_columns(rel), '{}')))
            THEN 'its row filter uses columns outside its primary key or replica identity'
    END
    FROM pg_publication_rel AS r JOIN pg_class AS c ON c.oid = r.prrelid
    WHERE r.prpubid = pub AND r.prrelid = rel
$$;

CREATE OR REPLACE FUNCTION pgmesh.repset_alter(set_name text, replicate_insert boolean DEFAULT NULL,
                                               replicate_update boolean DEFAULT NULL,
                                               replicate_delete boolean DEFAULT NULL,
                                               replicate_truncate boolean DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    p pg_publication := pgmesh.set_publication(set_name);
    upd boolean := coalesce(replicate_update, p.pubupdate);
    del boolean := coalesce(replicate_delete, p.pubdelete);
    keyless text := pgmesh.set_tables_without_key(set_name);
    problem text;
BEGIN
    IF (upd OR del) AND keyless IS NOT NULL THEN
        RAISE EXCEPTION 'replication set "%" cannot replicate updates or deletes: tables without a primary key or'
            ' replica identity index are in it: %', set_name, keyless
            USING ERRCODE = '55000', HINT = 'Give those tables a primary key, or remove them from the set first.';
    END IF;
    IF upd OR del THEN
        SELECT string_agg(format('%s (%s)', r.prrelid::regclass, pgmesh.identity_problem(p.oid, r.prrelid)), '; ')
        INTO problem FROM pg_publication_rel AS r
        WHERE r.prpubid = p.oid AND pgmesh.identity_problem(p.oid, r.prrelid) IS NOT NULL;
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION 'replication set "%" cannot replicate updates or deletes of %', set_name, problem
                USING ERRCODE = '55000',
                HINT = 'Set REPLICA IDENTITY FULL on a table whose row filter uses other columns; drop the column list'
                       ' of a table with REPLICA IDENTITY FULL.';
        END IF;
    END IF;
    PERFORM pgmesh.run_internal(format('ALTER PUBLICATION %I SET (publish = %L)', p.pubname,
        pgmesh.publish_option(coalesce(replicate_insert, p.pubinsert), upd, del,
                              coalesce(replicate_truncate, p.pubtruncate))));
END $$;

CREATE OR REPLACE FUNCTION pgmesh.repset_drop(set_name text, ifexists boolean DEFAULT false) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF set_name IN ('default', 'default_insert_only', 'ddl_sql') THEN
        RAISE EXCEPTION 'replication set "%" is one of pgmesh''s own and cannot be dropped', set_name
            USING ERRCODE = '42809', HINT = 'Remove its tables instead.';
    END IF;
    IF ifexists AND NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = pgmesh.publication(set_name)) THEN
        RETURN false;
    END IF;
    PERFORM pgmesh.log_membership(p.pubname, r.prrelid, false)
    FROM pg_publication AS p JOIN pg_publication_rel AS r ON r.prpubid = p.oid
    WHERE p.pubname = (pgmesh.set_publication(set_name)).pubname;
    PERFORM pgmesh.run_internal(format('DROP PUBLICATION %I', (pgmesh.set_publication(set_name)).pubname));
    PERFORM pgmesh.announce_set_change(set_name, 'drop');
    RETURN true;
END $$;

-- Why a table cannot be in any replication set, or NULL when it can.
CREATE OR REPLACE FUNCTION pgmesh.unreplicable_reason(rel regclass) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN c.relpersistence = 't' THEN 'it is a temporary table'
        WHEN c.relpersistence = 'u' THEN 'it is an unlogged table, which logical decoding cannot see'
        WHEN c.relkind NOT IN ('r', 'p') THEN 'it is not a table'
        WHEN c.relispartition THEN 'it is a partition: add its partitioned parent'
        WHEN n.nspname = 'pgmesh' OR n.nspname = 'information_schema' OR n.nspname LIKE 'pg\_%'
            THEN 'schema ' || n.nspname || ' is never replicated'
    END
    FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE c.oid = rel
$$;

CREATE OR REPLACE FUNCTION pgmesh.repset_add_table(set_name text, relation regclass, columns text[] DEFAULT NULL,
                                                   row_filter text DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    p pg_publication := pgmesh.set_publication(set_name);
    reason text := pgmesh.unreplicable_reason(relation);
    key text[] := pgmesh.key_columns(relation);
    elsewhere text;
BEGIN
    IF reason IS NOT NULL THEN
        RAISE EXCEPTION 'table % cannot be replicated: %', relation, reason USING ERRCODE = '55000';
    END IF;
    IF (p.pubupdate OR p.pubdelete) AND key IS NULL THEN
        RAISE EXCEPTION 'table % has no primary key or replica identity index, and replication set "%" replicates'
            ' updates or deletes', relation, set_name USING ERRCODE = '55000',
            HINT = 'Add it to an insert-only set such as default_insert_only, or give it a primary key.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_publication_rel WHERE prpubid = p.oid AND prrelid = relation) THEN
        RAISE EXCEPTION 'table % is already in replication set "%"', relation, set_name USING ERRCODE = '42710';
    END IF;
    SELECT string_agg(substr(pb.pubname, 8), ', ') INTO elsewhere
    FROM pg_publication_rel AS r JOIN pg_publication AS pb ON pb.oid = r.prpubid
    WHERE r.prrelid = relation AND pb.pubname LIKE 'pgmesh\_%'
      AND (columns IS NOT NULL OR row_filter IS NOT NULL OR r.prattrs IS NOT NULL OR r.prqual IS NOT NULL);
    IF elsewhere IS NOT NULL THEN
        RAISE EXCEPTION 'table % is already in replication set(s) %, and a row filter or column list is involved',
            relation, elsewhere USING ERRCODE = '55000',
            HINT = 'A table with a row filter or a column list can be in one replication set only.';
    END IF;
    IF columns IS NOT NULL AND key IS NOT NULL AND NOT key <@ columns THEN
        RAISE EXCEPTION 'the column list of % must include its key columns %', relation, key USING ERRCODE = '42P10';
    END IF;
    PERFORM pgmesh.change_membership(p.pubname, relation, true,
        CASE WHEN columns IS NULL THEN ''
             ELSE ' (' || (SELECT string_agg(quote_ident(c), ', ') FROM unnest(columns) AS c) || ')' END
        || CASE WHEN row_filter IS NULL THEN '' ELSE ' WHERE (' || row_filter || ')' END);
    reason := pgmesh.identity_problem(p.oid, relation);
    IF (p.pubupdate OR p.pubdelete) AND reason IS NOT NULL THEN
        RAISE EXCEPTION 'table % cannot be in replication set "%" this way: %, and the set replicates updates or'
            ' deletes', relation, set_name, reason USING ERRCODE = '55000',
            HINT = 'Use only key columns in the row filter, or ALTER TABLE ... REPLICA IDENTITY FULL first (then no'
                   ' column list), or use a set that replicates inserts only.';
    END IF;
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION pgmesh.repset_remove_table(set_name text, relation regclass) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    p pg_publication := pgmesh.set_publication(set_name);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication_rel WHERE prpubid = p.oid AND prrelid = relation) THEN
        RAISE EXCEPTION 'table % is not in replication set "%"', relation, set_name USING ERRCODE = '42704';
    END IF;
    PERFORM pgmesh.change_membership(p.pubname, relation, false);
    RETURN true;
END $$;

-- Adds every table of the schemas that may be in the set and is not in it yet; tables without a
-- key are skipped with a warning when the set replicates updates or deletes. Returns how many.
CREATE OR REPLACE FUNCTION pgmesh.repset_add_all_tables(set_name text, schema_names text[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    p pg_publication := pgmesh.set_publication(set_name);
    missing text;
    rel oid;
    added integer := 0;
BEGIN
    SELECT string_agg(s, ', ') INTO missing FROM unnest(schema_names) AS s
    WHERE NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = s);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'schema % does not exist', missing USING ERRCODE = '3F000';
    END IF;
    FOR rel IN SELECT c.oid FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
               WHERE n.nspname = ANY (schema_names) AND pgmesh.is_tracked_table(c.oid) ORDER BY c.oid LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_publication_rel WHERE prpubid = p.oid AND prrelid = rel);
        IF (p.pubupdate OR p.pubdelete) AND pgmesh.key_columns(rel::regclass) IS NULL THEN
            RAISE WARNING 'table % skipped: it has no primary key or replica identity index and set "%" replicates'
                ' updates or deletes', rel::regclass, set_name;
            CONTINUE;
        END IF;
        PERFORM pgmesh.change_membership(p.pubname, rel::regclass, true);
        added := added + 1;
    END LOOP;
    RETURN added;
END $$;

-- Puts a new table in set default (it has a key) or default_insert_only (it has none), unless
-- pgmesh.auto_add_tables is off or it is in a set already; moves a table between those two when
-- it gains or loses its key, if it is in one of them only.
CREATE OR REPLACE FUNCTION pgmesh.place_in_default_set(rel regclass, is_new boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    keyed boolean := pgmesh.key_columns(rel) IS NOT NULL;
    target text := CASE WHEN keyed THEN 'default' ELSE 'default_insert_only' END;
    other text := CASE WHEN keyed THEN 'default_insert_only' ELSE 'default' END;
    sets text[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'pgmesh_default') THEN
        RETURN;
    END IF;
    SELECT array_agg(substr(pb.pubname, 8)) INTO sets FROM pg_publication_rel AS r
    JOIN pg_publication AS pb ON pb.oid = r.prpubid WHERE r.prrelid = rel AND pb.pubname LIKE 'pgmesh\_%';
    IF sets IS NULL THEN
        IF is_new AND coalesce(current_setting('pgmesh.auto_add_tables', true), '') <> 'off' THEN
            PERFORM pgmesh.change_membership(pgmesh.publication(target), rel, true);
        END IF;
    ELSIF sets = ARRAY[other] THEN
        PERFORM pgmesh.change_membership(pgmesh.publication(other), rel, false);
        PERFORM pgmesh.change_membership(pgmesh.publication(target), rel, true);
        RAISE NOTICE 'pgmesh: table % moved from replication set % to % as it % a primary key', rel, other, target,
            CASE WHEN keyed THEN 'now has' ELSE 'no longer has' END;
    END IF;
END $$;

-- The three sets every node has. When "default" is created, the tables already there are placed
-- as new ones will be (unless pgmesh.auto_add_tables is off).
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'pgmesh_default') THEN
        PERFORM pgmesh.repset_create('default');
        PERFORM pgmesh.repset_create('default_insert_only', true, false, false, true);
        PERFORM pgmesh.repset_create('ddl_sql', true, false, false, false);
        PERFORM pgmesh.place_in_default_set(c.oid::regclass, true) FROM pg_class AS c
        WHERE pgmesh.is_tracked_table(c.oid);
    END IF;
END $$;

-- DDL replication. A DDL statement a session runs on its own is written into the WAL as a
-- transactional logical message (prefix pgmesh.ddl: the statement, search_path, role and sets), in
-- order with the changes around it. Peers' sinks run it in their apply sessions, where the capture
-- trigger does not fire, so it never comes back. What cannot be replicated safely stays local with
-- a NOTICE saying why. SET pgmesh.ddl_replication = off keeps a session's DDL local, silently.
--
-- The role recorded is the one the session acts as: its SET ROLE, else its login role. It is
-- computed here, never taken from the caller, so a session can only make peers act as a role it
-- could become itself.
CREATE OR REPLACE FUNCTION pgmesh.emit_ddl(statement text, sets text[], path text) RETURNS pg_lsn
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF statement IS NULL OR btrim(statement) = '' THEN
        RAISE EXCEPTION 'no statement to replicate' USING ERRCODE = '22023';
    END IF;
    IF sets IS NULL OR cardinality(sets) = 0 THEN
        RAISE EXCEPTION 'a replicated statement needs at least one replication set' USING ERRCODE = '22023';
    END IF;
    PERFORM pgmesh.set_publication(s) FROM unnest(sets) AS s;
    RETURN pg_logical_emit_message(true, 'pgmesh.ddl', json_build_object(
        'sql', statement,
        'search_path', coalesce(path, ''),
        'role', coalesce(nullif(current_setting('role'), 'none'), session_user::text),
        'sets', sets)::text);
END $$;

-- A sink that applied a peer's DDL writes the same message again in its apply transaction, so this
-- node's topic carries the statement (with the peer as its origin) like the row changes it applied:
-- the topic stays a complete image of the node, and a node reseeded from it gets the peer's schema
-- changes too. Peers in normal operation pass such forwarded copies over. Only an apply session
-- (one with a replication origin set up, which takes the replication-origin privileges) may call it.
CREATE OR REPLACE FUNCTION pgmesh.forward_ddl(message text) RETURNS pg_lsn
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF NOT pg_replication_origin_session_is_setup() THEN
        RAISE EXCEPTION 'pgmesh.forward_ddl is for the sink''s apply sessions only'
            USING ERRCODE = '42501', HINT = 'To replicate a statement, call pgmesh.replicate_ddl.';
    END IF;
    RETURN pg_logical_emit_message(true, 'pgmesh.ddl', message);
END $$;

-- The top-level statements of a query string, trimmed, empty ones dropped; quotes, dollar quotes
-- and comments are understood, comments removed.
CREATE OR REPLACE FUNCTION pgmesh.split_statements(query text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    result text[] := '{}';
    cur text := '';
    i integer := 1;
    n integer := length(query);
    ch text;
    tag text;
    depth integer;
    stop integer;
BEGIN
    WHILE i <= n LOOP
        ch := substr(query, i, 1);
        IF substr(query, i, 2) = '--' THEN
            stop := strpos(substr(query, i), E'\n');
            i := CASE WHEN stop = 0 THEN n + 1 ELSE i + stop END;
            cur := cur || ' ';
        ELSIF substr(query, i, 2) = '/*' THEN
            depth := 1;
            i := i + 2;
            WHILE i <= n AND depth > 0 LOOP
                IF substr(query, i, 2) = '/*' THEN
                    depth := depth + 1;
                    i := i + 2;
                ELSIF substr(query, i, 2) = '*/' THEN
                    depth := depth - 1;
                    i := i + 2;
                ELSE
                    i := i + 1;
                END IF;
            END LOOP;
            cur := cur || ' ';
        ELSIF ch = '''' OR ch = '"' THEN
            stop := i + 1;
            WHILE stop <= n LOOP
                IF substr(query, stop, 1) = ch THEN
                    EXIT WHEN substr(query, stop + 1, 1) IS DISTINCT FROM ch;
                    stop := stop + 1;
                END IF;
                stop := stop + 1;
            END LOOP;
            cur := cur || substr(query, i, stop - i + 1);
            i := stop + 1;
        ELSIF ch = '$' AND (i = 1 OR substr(query, i - 1, 1) !~ '[A-Za-z_0-9]')
              AND substr(query, i) ~ '^\$([A-Za-z_][A-Za-z_0-9]*)?\$' THEN
            tag := substring(substr(query, i) FROM '^(\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$)');
            stop := strpos(substr(query, i + length(tag)), tag);
            IF stop = 0 THEN
                cur := cur || substr(query, i);
                i := n + 1;
            ELSE
                cur := cur || substr(query, i, 2 * length(tag) + stop - 1);
                i := i + 2 * length(tag) + stop - 1;
            END IF;
        ELSIF ch = ';' THEN
            IF btrim(cur, E' \t\r\n') <> '' THEN
                result := result || btrim(cur, E' \t\r\n');
            END IF;
            cur := '';
            i := i + 1;
        ELSE
            cur := cur || ch;
            i := i + 1;
        END IF;
    END LOOP;
    IF btrim(cur, E' \t\r\n') <> '' THEN
        result := result || btrim(cur, E' \t\r\n');
    END IF;
    RETURN result;
END $$;

-- Decides whether the running DDL command replicates, and emits it; true when it stays local.
-- Called by the capture trigger only: pg_event_trigger_ddl_commands() fails anywhere else, and the
-- statement is the session's own query string, never an argument. (Settings it changed would be
-- undone on return, as it has SET clauses: the trigger keeps the flags.)
CREATE OR REPLACE FUNCTION pgmesh.capture_ddl_command(tag text, path text, dropping_local boolean) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    statements text[];
    cmd record;
    reason text;
BEGIN
    IF coalesce(current_setting('pgmesh.internal_ddl', true), '') = 'on' THEN
        RETURN false;
    END IF;
    IF tag = 'CREATE PUBLICATION' THEN
        PERFORM pgmesh.announce_set_change(substr(c.object_identity, 8), 'create')
        FROM pg_event_trigger_ddl_commands() AS c
        WHERE c.object_type = 'publication' AND starts_with(c.object_identity, 'pgmesh_');
    END IF;
    IF pg_replication_origin_session_is_setup()
       OR coalesce(current_setting('pgmesh.replicating_ddl', true), '') = 'on' THEN
        RETURN false;
    END IF;
    IF coalesce(current_setting('pgmesh.ddl_replication', true), '') = 'off'
       OR tag IN ('CREATE PUBLICATION', 'ALTER PUBLICATION', 'DROP PUBLICATION', 'CREATE SUBSCRIPTION',
                  'ALTER SUBSCRIPTION', 'DROP SUBSCRIPTION', 'CREATE EVENT TRIGGER', 'ALTER EVENT TRIGGER',
                  'DROP EVENT TRIGGER')
       OR EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() AS c WHERE c.in_extension) THEN
        RETURN true;
    END IF;
    statements := pgmesh.split_statements(current_query());
    IF dropping_local THEN
        reason := 'it drops temporary objects only';
    ELSIF coalesce(array_length(statements, 1), 0) <> 1 THEN
        reason := 'it was sent in one query string with other statements; send it on its own, or run it through'
                  ' pgmesh.replicate_ddl()';
    ELSIF upper(substring(statements[1] FROM '^\s*([A-Za-z]+)')) IS DISTINCT FROM split_part(tag, ' ', 1) THEN
        reason := 'it ran inside another statement (a function or a DO block); run it on its own, or through'
                  ' pgmesh.replicate_ddl()';
    ELSIF tag IN ('CREATE TABLE AS', 'SELECT INTO') THEN
        reason := 'CREATE TABLE AS would copy on every node rows that also replicate; create the table, then'
                  ' INSERT ... SELECT';
    ELSE
        FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
            IF cmd.schema_name LIKE 'pg\_temp%' THEN
                reason := 'it is about a temporary object';
            ELSIF cmd.schema_name = 'pgmesh' THEN
                reason := 'it changes schema pgmesh, which every node manages itself';
            END IF;
        END LOOP;
    END IF;
    IF reason IS NOT NULL THEN
        RAISE NOTICE 'pgmesh: % not replicated: %', tag, reason;
        RETURN true;
    END IF;
    PERFORM pgmesh.emit_ddl(statements[1], ARRAY['ddl_sql'], path);
    RETURN false;
END $$;

-- The capture trigger runs as the session (its search_path is the one the statement ran with). It
-- tells pgmesh_track_tables, which fires after it, whether the command stayed local.
CREATE OR REPLACE FUNCTION pgmesh.capture_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    stays_local boolean;
BEGIN
    IF coalesce(current_setting('pgmesh.internal_ddl', true), '') = 'on' THEN
        RETURN;
    END IF;
    stays_local := pgmesh.capture_ddl_command(TG_TAG, current_setting('search_path'),
                                              coalesce(current_setting('pgmesh.dropping_local', true), '') = 'on');
    PERFORM set_config('pgmesh.dropping_local', '', true);
    PERFORM set_config('pgmesh.local_ddl', CASE WHEN stays_local THEN 'on' ELSE '' END, true);
END $$;

-- Announces the drop of a set's publication by a DROP PUBLICATION of the running command.
CREATE OR REPLACE FUNCTION pgmesh.announce_dropped_sets() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF coalesce(current_setting('pgmesh.internal_ddl', true), '') = 'on' THEN
        RETURN;
    END IF;
    PERFORM pgmesh.announce_set_change(substr(d.object_identity, 8), 'drop')
    FROM pg_event_trigger_dropped_objects() AS d
    WHERE d.object_type = 'publication' AND starts_with(d.object_identity, 'pgmesh_');
END $$;

-- Remembers, for the ddl_command_end that follows, that a DROP dropped temporary objects only.
CREATE OR REPLACE FUNCTION pgmesh.capture_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects() WHERE NOT is_temporary) THEN
        PERFORM set_config('pgmesh.dropping_local', 'on', true);
    END IF;
    PERFORM pgmesh.announce_dropped_sets();
END $$;

-- Runs a statement here, as the calling role, and replicates it as is to the nodes subscribed to
-- one of the sets, in one transaction. For statements the trigger leaves local (several in one
-- string, inside a function) and for DDL meant for some nodes only.
CREATE OR REPLACE FUNCTION pgmesh.replicate_ddl(command text, replication_sets text[] DEFAULT '{ddl_sql}')
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pgmesh.set_publication(s) FROM unnest(replication_sets) AS s;
    PERFORM set_config('pgmesh.replicating_ddl', 'on', true);
    EXECUTE command;
    PERFORM set_config('pgmesh.replicating_ddl', '', true);
    PERFORM pgmesh.emit_ddl(command, replication_sets, current_setting('search_path'));
    RETURN true;
END $$;

DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pgmesh_capture_ddl') THEN
        CREATE EVENT TRIGGER pgmesh_capture_ddl ON ddl_command_end EXECUTE FUNCTION pgmesh.capture_ddl();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pgmesh_capture_drop') THEN
        CREATE EVENT TRIGGER pgmesh_capture_drop ON sql_drop EXECUTE FUNCTION pgmesh.capture_drop();
    END IF;
END $$;

-- Ids that never collide across nodes, for a bigint column's default: 41 bits of milliseconds
-- since 2024-01-01, 10 bits of node number (pgmesh.set_node_number), 12 bits of a per-node counter.
CREATE SEQUENCE IF NOT EXISTS pgmesh.snowflake_counter MINVALUE 0 MAXVALUE 4095 START 0 CYCLE;

CREATE OR REPLACE FUNCTION pgmesh.set_node_number(node_number integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF node_number IS NULL OR node_number NOT BETWEEN 0 AND 1023 THEN
        RAISE EXCEPTION 'node number % is out of range', node_number USING ERRCODE = '22003',
            HINT = 'Give every node a different number from 0 to 1023.';
    END IF;
    UPDATE pgmesh.node SET number = node_number;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this database is not a pgmesh node yet' USING ERRCODE = '55000',
            HINT = 'Start the node''s source or sink connector once: it names the node.';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION pgmesh.snowflake_id() RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    n smallint := (SELECT number FROM pgmesh.node);
BEGIN
    IF n IS NULL THEN
        RAISE EXCEPTION 'this node has no number for snowflake ids' USING ERRCODE = '55000',
            HINT = 'Run SELECT pgmesh.set_node_number(0..1023) on every node, each with a number of its own.';
    END IF;
    RETURN ((floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint - 1704067200000) << 22)
           | (n::bigint << 12) | nextval('pgmesh.snowflake_counter');
END $$;

-- Makes the sequences of the schemas hand out values no other node hands out: increment
-- cluster_size, and every value congruent to node_offset (0 .. cluster_size - 1) modulo
-- cluster_size, above all values handed out so far. Local to this node: run it on every node, each
-- with its own offset. Returns how many sequences it changed.
CREATE OR REPLACE FUNCTION pgmesh.stagger_sequences(cluster_size integer, node_offset integer,
                                                    schema_names text[] DEFAULT '{public}') RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    seq record;
    changed integer := 0;
BEGIN
    IF cluster_size < 1 OR node_offset < 0 OR node_offset >= cluster_size THEN
        RAISE EXCEPTION 'node offset % must be between 0 and cluster size % minus one', node_offset, cluster_size
            USING ERRCODE = '22023';
    END IF;
    FOR seq IN SELECT s.schemaname, s.sequencename, coalesce(s.last_value, s.start_value) AS last
               FROM pg_sequences AS s WHERE s.schemaname = ANY (schema_names) LOOP
        PERFORM pgmesh.run_internal(format('ALTER SEQUENCE %I.%I INCREMENT BY %s', seq.schemaname,
                                           seq.sequencename, cluster_size));
        PERFORM setval(format('%I.%I', seq.schemaname, seq.sequencename),
                       (seq.last / cluster_size + 1) * cluster_size + node_offset, false);
        changed := changed + 1;
    END LOOP;
    RETURN changed;
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
-- How many transactions of each origin were applied here (since version 2).
ALTER TABLE pgmesh.applied_origins ADD COLUMN IF NOT EXISTS transactions bigint NOT NULL DEFAULT 0;

-- Called by the sink's progress write with how many rows of pgmesh.applied_origins it moved forward:
-- none means the origin's transaction at origin_lsn (or a later one) is applied here already, by
-- another instance of the same sink that Connect gave up stopping and that is still applying. The
-- apply then fails with serialization_failure: the sink rolls back, reads the origin's progress
-- again and passes the transaction over, so it is never applied twice.
CREATE OR REPLACE FUNCTION pgmesh.applied_once(moved bigint, origin_node text, origin_lsn pg_lsn) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF moved = 0 THEN
        RAISE EXCEPTION 'pgmesh: the transaction of % at % is applied on this node already', origin_node, origin_lsn
            USING ERRCODE = '40001', HINT = 'Another instance of this sink applied it meanwhile; the sink passes it over.';
    END IF;
    RETURN true;
END $$;

-- Changes a sink left out instead of applying (since version 3): by its apply.error.policy
-- (discard_transaction, discard_row) or by an operator's pgmesh.skip_transaction. Recorded in the
-- transaction that records the origin's progress past them, so none is left out unrecorded.
CREATE TABLE IF NOT EXISTS pgmesh.exceptions (
    id bigserial PRIMARY KEY,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    origin text NOT NULL,
    origin_lsn pg_lsn NOT NULL,
    origin_commit_ts timestamptz,
    topic text,
    kafka_partition integer,
    kafka_offset bigint,
    table_schema text,
    table_name text,
    operation text NOT NULL,
    key jsonb,
    row_data jsonb,
    policy text NOT NULL,
    failed_offset bigint,
    sqlstate text,
    error text
);
CREATE INDEX IF NOT EXISTS exceptions_origin ON pgmesh.exceptions (origin, origin_lsn);

-- Marks everything of origin node origin_node up to its commit at origin_lsn as applied here, so that
-- this node's sinks pass it over: for a transaction an operator chose to leave out (a replicated
-- DDL that cannot apply here, say). Recorded in pgmesh.exceptions. Restart the sink's task
-- afterwards. Returns the origin's new position.
CREATE OR REPLACE FUNCTION pgmesh.skip_transaction(origin_node text, origin_lsn pg_lsn) RETURNS pg_lsn
LANGUAGE sql AS $$
    INSERT INTO pgmesh.exceptions (origin, origin_lsn, operation, policy, error)
    VALUES (origin_node, origin_lsn, 'transaction', 'skip_transaction', 'left out by ' || session_user);
    INSERT INTO pgmesh.applied_origins AS a (origin, lsn) VALUES (origin_node, origin_lsn)
    ON CONFLICT (origin) DO UPDATE SET lsn = greatest(a.lsn, EXCLUDED.lsn), updated_at = now()
    RETURNING lsn
$$;

-- Sync events (as Spock's sync_event and wait_for_sync_event): sync_event() puts a marker into this
-- node's stream and returns its LSN; on a peer, wait_for_sync_event(node, lsn) returns true once the
-- peer has applied it, and with it everything the node committed before (false after timeout_s
-- seconds; 0 waits for ever).
CREATE OR REPLACE FUNCTION pgmesh.sync_event() RETURNS pg_lsn
LANGUAGE sql AS $$
    SELECT pg_logical_emit_message(true, 'pgmesh.sync', pgmesh.local_node())
$$;

CREATE OR REPLACE FUNCTION pgmesh.wait_for_sync_event(origin_node text, sync_lsn pg_lsn, timeout_s integer DEFAULT 0)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + make_interval(secs => timeout_s);
BEGIN
    LOOP
        IF EXISTS (SELECT 1 FROM pgmesh.applied_origins WHERE origin = origin_node AND lsn >= sync_lsn) THEN
            RETURN true;
        END IF;
        IF timeout_s > 0 AND clock_timestamp() >= deadline THEN
            RETURN false;
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;

GRANT USAGE ON SCHEMA pgmesh TO PUBLIC;
GRANT SELECT ON pgmesh.schema_version, pgmesh.node, pgmesh.replication_sets, pgmesh.replicated_tables,
    pgmesh.set_streamable, pgmesh.set_membership_log TO PUBLIC;

-- Whether each connector of this node makes progress, as its connector instance last looked (since
-- version 4): stalled_since is set while it has work and nothing moves; pgmeshctl status shows it.
CREATE TABLE IF NOT EXISTS pgmesh.connector_health (
    connector text PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('source', 'sink')),
    stalled_since timestamptz,
    waiting_for text,
    checked_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON pgmesh.connector_health TO PUBLIC;

-- Version 4 builds tombstone keys from the key columns only, with a function per key: every table's
-- triggers are installed again (the connector installs them after this script).
DO $$ BEGIN
    IF (SELECT version FROM pgmesh.schema_version) < 4 THEN
        DELETE FROM pgmesh.change_triggers;
    END IF;
END $$;

INSERT INTO pgmesh.schema_version (version) VALUES (5)
ON CONFLICT (singleton) DO UPDATE SET version = greatest(pgmesh.schema_version.version, EXCLUDED.version);

RESET pgmesh.internal_ddl;
