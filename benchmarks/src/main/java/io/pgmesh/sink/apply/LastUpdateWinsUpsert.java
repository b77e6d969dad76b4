package io.pgmesh.sink.apply;

import io.pgmesh.sink.schema.TargetTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sink's last-update-wins upsert of a whole row ({@link ApplyStatements#upsert}, package-private
 * there) for the benchmarks: its text, and its arguments bound as the sink binds them. It sits in
 * the sink's package for that access alone.
 */
public final class LastUpdateWinsUpsert {

    private final Sql sql;
    private final long relid;

    public LastUpdateWinsUpsert(TargetTable table) {
        this.sql = ApplyStatements.upsert(table, table.columns(), false);
        this.relid = table.relid();
    }

    /** The statement, with a {@code ?} per argument. */
    public String text() {
        return sql.text();
    }

    /** The arguments, in the order of the {@code ?}, for a row (column to text) from {@code remoteNode} at {@code remoteTime}. */
    public List<String> arguments(Map<String, String> row, String remoteTime, String remoteNode) {
        List<String> out = new ArrayList<>(sql.params().size());
        for (Param p : sql.params()) {
            if (p instanceof Param.RemoteTime) {
                out.add(remoteTime);
            } else if (p instanceof Param.RemoteNode) {
                out.add(remoteNode);
            } else if (p instanceof Param.Relid) {
                out.add(String.valueOf(relid));
            } else if (p instanceof Param.Key k) {
                out.add(row.get(k.column()));
            } else if (p instanceof Param.Value v) {
                out.add(row.get(v.column()));
            } else if (p instanceof Param.Constant c) {
                out.add(c.text());
            } else {
                throw new IllegalStateException("unknown parameter " + p);
            }
        }
        return out;
    }
}
