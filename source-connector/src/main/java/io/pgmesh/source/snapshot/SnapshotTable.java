package io.pgmesh.source.snapshot;

import io.pgmesh.common.TableId;
import io.pgmesh.common.sql.SqlIdentifiers;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A table a snapshot copies, as its replication sets publish it.
 *
 * @param table       the table
 * @param partitioned whether it is a partitioned table (its partitions' rows are copied through it,
 *                    as the sets publish them through it)
 * @param columns     the published columns, in column order, those of the replica identity flagged
 * @param rowFilter   the rows published, an SQL condition on the table's columns; null for all
 * @param sets        the replication sets an insert into the table is tagged with
 */
public record SnapshotTable(TableId table, boolean partitioned, List<Column> columns, String rowFilter,
                            SortedSet<String> sets) {

    /** A published column: its name, its type as format_type prints it, whether it identifies the row. */
    public record Column(String name, String type, boolean key) {
    }

    public SnapshotTable {
        columns = List.copyOf(columns);
        sets = new TreeSet<>(sets);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("table " + table + " publishes no column");
        }
    }

    public boolean hasKey() {
        return columns.stream().anyMatch(Column::key);
    }

    /**
     * The COPY that reads the table's published rows and columns in the current snapshot, followed
     * by two more fields: the commit time (microseconds since the Unix epoch) and the replication
     * origin id of each row's last write, NULL where the server no longer knows them.
     */
    public String copyQuery() {
        String cols = columns.stream().map(c -> "t." + SqlIdentifiers.quote(c.name())).collect(Collectors.joining(", "));
        return "COPY (SELECT " + cols + ", pgmesh.micros(o.timestamp), o.roident FROM "
                + (partitioned ? "" : "ONLY ") + SqlIdentifiers.quote(table.schema()) + "."
                + SqlIdentifiers.quote(table.table()) + " AS t CROSS JOIN LATERAL pg_catalog.pg_xact_commit_timestamp_origin(t.xmin) AS o"
                + (rowFilter == null ? "" : " WHERE (" + rowFilter + ")") + ") TO STDOUT";
    }
}
