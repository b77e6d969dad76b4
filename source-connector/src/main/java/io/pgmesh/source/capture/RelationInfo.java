package io.pgmesh.source.capture;

import io.pgmesh.common.TableId;
import java.util.List;

/** A table as the stream described it: its oid, and its columns with resolved type names. */
record RelationInfo(int relationId, TableId table, List<Column> columns) {

    record Column(String name, String type, boolean key) {
    }

    RelationInfo {
        columns = List.copyOf(columns);
    }

    boolean hasKey() {
        return columns.stream().anyMatch(Column::key);
    }
}
