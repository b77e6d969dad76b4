package io.pgmesh.sink.schema;

import io.pgmesh.common.TableId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A table on this node as the sink writes it: its oid, its columns with their types as
 * {@code format_type} prints them, and the columns that identify a row (primary key, or replica
 * identity index; none for a table without either).
 */
public record TargetTable(TableId id, long relid, List<Column> columns, List<String> keyColumns) {

    /** A column of the table. Generated columns are never written. */
    public record Column(String name, String type, boolean generated) {
    }

    public TargetTable {
        columns = List.copyOf(columns);
        keyColumns = List.copyOf(keyColumns);
    }

    public Optional<Column> column(String name) {
        return Optional.ofNullable(byName().get(name));
    }

    public boolean hasKey() {
        return !keyColumns.isEmpty();
    }

    private Map<String, Column> byName() {
        return columns.stream().collect(Collectors.toMap(Column::name, Function.identity()));
    }
}
