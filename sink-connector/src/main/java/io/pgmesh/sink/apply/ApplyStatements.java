package io.pgmesh.sink.apply;

import io.pgmesh.common.sql.SqlIdentifiers;
import io.pgmesh.sink.schema.TargetTable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Generates the one statement that applies a remote row change with last-update-wins. Each
 * statement reads the local row's version (and, when the row is gone, its tombstone's or the
 * table's truncate marker's), writes the change only where the remote version is newer, and
 * reports what it found and did: a row of {@link ApplyResult}'s columns. Values are bound as text
 * and cast to the target column's own type, so PostgreSQL's input functions parse exactly what the
 * origin's output functions printed. Identifiers are always quoted.
 */
final class ApplyStatements {

    private static final Sql REMOTE = Sql.of("r AS (SELECT ?::timestamptz AS ts, ?::text AS node)",
            Param.REMOTE_TIME, Param.REMOTE_NODE);
    /** Whether the newest tombstone (or truncate marker) is not older than the remote version. */
    private static final String TOMBSTONE_NOT_OLDER = "NOT " + remoteNewer("tomb.ts", "tomb.roident", "r.ts", "r.node");
    private static final String VERSION_TIME = "coalesce(c.timestamp, '-infinity'::timestamptz)";

    private ApplyStatements() {
    }

    /**
     * Inserts the row, or updates it when it exists and is older; never when a newer tombstone or
     * truncate marker says it is gone.
     *
     * @param columns the columns the change carries
     */
    static Sql upsert(TargetTable table, List<TargetTable.Column> columns, boolean withImage) {
        List<String> nonKey = columns.stream().map(TargetTable.Column::name)
                .filter(n -> !table.keyColumns().contains(n)).toList();
        List<String> assigned = nonKey.isEmpty() ? table.keyColumns() : nonKey;
        Sql write = Sql.of("INSERT INTO " + table.id().quoted() + " AS t (" + quoted(names(columns)) + ") SELECT ")
                .then(Sql.join(", ", columns.stream().map(ApplyStatements::value).toList()))
                .then(" FROM r WHERE NOT EXISTS (SELECT 1 FROM tomb WHERE " + TOMBSTONE_NOT_OLDER + ")"
                        + " ON CONFLICT (" + quoted(table.keyColumns()) + ") DO UPDATE SET "
                        + String.join(", ", assigned.stream().map(n -> SqlIdentifiers.quote(n) + " = EXCLUDED."
                        + SqlIdentifiers.quote(n)).toList())
                        + " WHERE " + remoteWinsOver("t.xmin", "(SELECT ts FROM r)", "(SELECT node FROM r)")
                        + " RETURNING (t.xmax = 0) AS inserted, ").then(keyJsonOf(table, "t")).then(" AS key");
        // an insert (not an update) may follow a local delete or key move that committed while the
        // statement ran (INSERT ... ON CONFLICT then inserts): pgmesh.no_newer_tombstone looks again
        Sql applied = Sql.of("EXISTS (SELECT 1 FROM w0 WHERE CASE WHEN w0.inserted THEN pgmesh.no_newer_tombstone("
                + "?::oid, w0.key, (SELECT ts FROM r), (SELECT node FROM r)) ELSE true END)", Param.RELID);
        return statement(table, withImage, List.of(write), applied);
    }

    /**
     * Updates the row where it exists and is older, leaving the columns not listed (unchanged
     * TOASTed values) as they are. A missing row cannot be inserted from such a change.
     */
    static Sql updateExisting(TargetTable table, List<TargetTable.Column> columns, boolean withImage) {
        List<TargetTable.Column> set = columns.stream().filter(c -> !table.keyColumns().contains(c.name())).toList();
        String firstKey = SqlIdentifiers.quote(table.keyColumns().get(0));
        Sql assignments = set.isEmpty() ? Sql.of(firstKey + " = t." + firstKey)
                : Sql.join(", ", set.stream().map(c -> Sql.of(SqlIdentifiers.quote(c.name()) + " = ").then(value(c)))
                .toList());
        Sql write = Sql.of("UPDATE " + table.id().quoted() + " AS t SET ").then(assignments).then(" FROM r WHERE ")
                .then(keyMatch(table)).then(" AND " + remoteWinsOver("t.xmin", "r.ts", "r.node") + " RETURNING 1");
        return statement(table, withImage, List.of(write), unlessChangedConcurrently(table, "EXISTS (SELECT 1 FROM w0)"));
    }

    /**
     * Deletes the row where it exists and is older (the table's trigger writes its tombstone);
     * where it does not exist, records a tombstone unless a newer one is there.
     */
    static Sql delete(TargetTable table, boolean withImage) {
        Sql delete = Sql.of("DELETE FROM " + table.id().quoted() + " AS t USING r WHERE ").then(keyMatch(table))
                .then(" AND " + remoteWinsOver("t.xmin", "r.ts", "r.node") + " RETURNING 1");
        Sql mark = Sql.of("INSERT INTO pgmesh.tombstones AS d (relid, key) SELECT ?::oid, ", Param.RELID)
                .then(keyJson(table))
                .then(" FROM r WHERE NOT EXISTS (SELECT 1 FROM loc) AND NOT EXISTS (SELECT 1 FROM tomb WHERE "
                        + TOMBSTONE_NOT_OLDER + ") ON CONFLICT (relid, key) DO UPDATE SET recorded_at = now()"
                        + " WHERE " + remoteWinsOver("d.xmin", "(SELECT ts FROM r)", "(SELECT node FROM r)") + " RETURNING 1");
        return statement(table, withImage, List.of(delete, mark),
                unlessChangedConcurrently(table, "(EXISTS (SELECT 1 FROM w0) OR EXISTS (SELECT 1 FROM w1))"));
    }

    /**
     * {@code applied}, unless the row the statement found had to give way to the remote change and
     * yet the write (w0) changed nothing: a local transaction changed, deleted or moved the row
     * while the statement ran, and pgmesh.changed_concurrently fails the apply so that the sink
     * applies the transaction again and decides on the row as it is then.
     */
    private static Sql unlessChangedConcurrently(TargetTable table, String applied) {
        return Sql.of("CASE WHEN NOT EXISTS (SELECT 1 FROM w0) AND EXISTS (SELECT 1 FROM loc, r WHERE "
                + remoteNewer("loc.ts", "loc.roident", "r.ts", "r.node") + ") THEN pgmesh.changed_concurrently(?::oid, ",
                Param.RELID).then(keyJson(table)).then(") ELSE " + applied + " END");
    }

    /** The text of {@code columns} of the row with the key, as their output functions print it. */
    static Sql readColumns(TargetTable table, Collection<String> columns) {
        List<String> texts = new ArrayList<>();
        for (String c : columns) {
            String q = "t." + SqlIdentifiers.quote(c);
            texts.add("CASE WHEN num_nulls(" + q + ") = 1 THEN NULL ELSE format('%s', " + q + ") END");
        }
        return Sql.of("SELECT " + String.join(", ", texts) + " FROM " + table.id().quoted() + " AS t WHERE ")
                .then(keyMatch(table));
    }

    /**
     * r (the remote version), loc (the local row's version), tomb (the newest tombstone), the
     * writes w0, w1..., the report, with {@code applied} (over the writes) saying whether the change
     * was written. A version is its commit time and the roident of its origin, which the sink names
     * ({@link OriginNodes}): the node is looked up here only where two commit times are equal.
     */
    private static Sql statement(TargetTable table, boolean withImage, List<Sql> writes, Sql applied) {
        Sql loc = Sql.of("loc AS (SELECT " + VERSION_TIME + " AS ts, c.roident" + (withImage ? ", pgmesh.row_image(t) AS img" : "")
                + " FROM " + table.id().quoted() + " AS t, " + commitOf("t.xmin") + " WHERE ").then(keyMatch(table)).then(")");
        Sql tomb = Sql.of("tomb AS (SELECT ts, roident FROM (SELECT " + VERSION_TIME + " AS ts, c.roident"
                + " FROM pgmesh.tombstones AS d, " + commitOf("d.xmin") + " WHERE d.relid = ?::oid AND d.key IN (",
                Param.RELID).then(keyJson(table))
                .then(", '\"truncate\"'::jsonb) AND NOT EXISTS (SELECT 1 FROM loc)) AS x"
                        + " ORDER BY x.ts DESC, " + nodeOfOrigin("x.roident") + " COLLATE \"C\" DESC LIMIT 1)");
        Sql sql = Sql.of("WITH ").then(REMOTE).then(", ").then(loc).then(", ").then(tomb);
        for (int i = 0; i < writes.size(); i++) {
            sql = sql.then(", w" + i + " AS (").then(writes.get(i)).then(")");
        }
        return sql.then(" SELECT loc.ts IS NOT NULL, " + micros("loc.ts") + ", loc.roident, tomb.ts IS NOT NULL, "
                + micros("tomb.ts") + ", tomb.roident, ").then(applied)
                .then((withImage ? ", loc.img" : ", NULL::jsonb") + " FROM (VALUES (1)) AS one (x)"
                        + " LEFT JOIN loc ON true LEFT JOIN tomb ON true");
    }

    /*
     * The version checks are written into each statement rather than called as pgmesh.xact_version
     * and pgmesh.remote_wins: PostgreSQL cannot inline a SQL function whose body has a FROM clause,
     * and plans such a function's body again on every call (about 100 us each, three calls per
     * update: most of the sink's server time in the catch-up benchmark). Inline, they are planned
     * once with the prepared statement. They compute exactly what those functions compute.
     */

    /** The commit timestamp record of the transaction that wrote {@code xmin}, as c (timestamp, roident). */
    private static String commitOf(String xmin) {
        return "pg_catalog.pg_xact_commit_timestamp_origin(" + xmin + ") AS c";
    }

    /**
     * As {@code pgmesh.remote_wins(remoteTs, remoteNode, xmin)}: whether the remote version is
     * newer than the one that wrote {@code xmin}. One commit timestamp lookup.
     */
    static String remoteWinsOver(String xmin, String remoteTs, String remoteNode) {
        return "(SELECT " + remoteNewer(VERSION_TIME, "c.roident", remoteTs, remoteNode) + " FROM " + commitOf(xmin) + ")";
    }

    /**
     * Whether the remote version is newer than the version at {@code time} from origin
     * {@code roident}: by time, then node name ("C" collation). The node of the roident is looked
     * up only when the two times are exactly equal (CASE evaluates its branches in order), so the
     * usual case costs no catalog lookup and no pgmesh.node scan.
     */
    private static String remoteNewer(String time, String roident, String remoteTs, String remoteNode) {
        return "(CASE WHEN " + time + " < " + remoteTs + " THEN true WHEN " + time + " > " + remoteTs + " THEN false"
                + " WHEN " + time + " = " + remoteTs + " THEN " + nodeOfOrigin(roident) + " COLLATE \"C\" < "
                + remoteNode + " COLLATE \"C\" END)";
    }

    /**
     * The node of replication origin {@code roident}: pgmesh_<node>'s node, or this node (a local write, or another
     * origin), the rule of {@code pgmesh.xact_version}; {@link OriginNodes} names the reported roidents by the same rule.
     */
    private static String nodeOfOrigin(String roident) {
        return "coalesce((SELECT substr(o.roname, 8) FROM pg_catalog.pg_replication_origin AS o WHERE o.roident = "
                + roident + " AND " + roident + " <> 0 AND o.roname LIKE 'pgmesh\\_%'), (SELECT name FROM pgmesh.node))";
    }

    /** As {@code pgmesh.micros(ts)}: microseconds since the Unix epoch, NULL when not finite. */
    private static String micros(String ts) {
        return "CASE WHEN isfinite(" + ts + ") THEN (extract(epoch FROM " + ts + ") * 1000000)::bigint END";
    }

    private static Sql keyMatch(TargetTable table) {
        return Sql.join(" AND ", table.keyColumns().stream()
                .map(k -> Sql.of("t." + SqlIdentifiers.quote(k) + " = ?::" + typeOf(table, k), new Param.Key(k)))
                .toList());
    }

    /** The key of row {@code alias} as tombstones store it, as {@link #keyJson} computes it from the key's text. */
    private static Sql keyJsonOf(TargetTable table, String alias) {
        return Sql.of("jsonb_build_object(").then(Sql.join(", ", table.keyColumns().stream()
                .map(k -> Sql.of("?::text, to_jsonb(" + alias + "." + SqlIdentifiers.quote(k) + ")", new Param.Constant(k)))
                .toList())).then(")");
    }

    /** The key as tombstones store it: {column: to_jsonb(value)}, as the tombstone triggers compute it. */
    private static Sql keyJson(TargetTable table) {
        return Sql.of("jsonb_build_object(").then(Sql.join(", ", table.keyColumns().stream()
                .map(k -> Sql.of("?::text, to_jsonb(?::" + typeOf(table, k) + ")", new Param.Constant(k),
                        new Param.Key(k))).toList())).then(")");
    }

    private static Sql value(TargetTable.Column column) {
        return Sql.of("?::" + column.type(), new Param.Value(column.name()));
    }

    private static List<String> names(List<TargetTable.Column> columns) {
        return columns.stream().map(TargetTable.Column::name).toList();
    }

    private static String quoted(List<String> names) {
        return String.join(", ", names.stream().map(SqlIdentifiers::quote).toList());
    }

    private static String typeOf(TargetTable table, String column) {
        return table.column(column).orElseThrow(() -> new IllegalStateException(
                "key column " + column + " is missing from " + table.id())).type();
    }
}
