package io.pgmesh.source.capture;

import io.pgmesh.common.TableId;
import java.util.List;
import java.util.SortedSet;

/** A table as the stream described it: columns with resolved type names, and its replication sets. */
record RelationInfo(TableId table, List<Column> columns, SortedSet<String> sets) {

    record Column(String name, String type, boolean key) {
    }

    RelationInfo {
        columns = List.copyOf(columns);
    }

    boolean hasKey() {
        return columns.stream().anyMatch(Column::key);
    }
}
