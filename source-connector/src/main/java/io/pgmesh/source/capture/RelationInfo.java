package io.pgmesh.source.capture;

import io.pgmesh.common.TableId;
import java.util.List;

/**
 * A table as the stream described it: its oid, its columns with resolved type names, and whether
 * its replica identity is FULL (every column then counts as part of the key).
 */
record RelationInfo(int relationId, TableId table, List<Column> columns, boolean fullIdentity) {

    record Column(String name, String type, boolean key) {
    }

    RelationInfo {
        columns = List.copyOf(columns);
    }

    boolean hasKey() {
        return columns.stream().anyMatch(Column::key);
    }
}
