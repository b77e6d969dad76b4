package io.pgmesh.common.envelope;

import io.pgmesh.common.TableId;
import java.util.Objects;
import org.apache.kafka.connect.data.Struct;

/** A TRUNCATE of one table (a multi-table TRUNCATE becomes one record per table). */
public record Truncation(TableId table, boolean cascade, boolean restartIdentity) implements ChangeValue {

    public Truncation {
        Objects.requireNonNull(table, "table");
    }

    @Override
    public Operation operation() {
        return Operation.TRUNCATE;
    }

    @Override
    public Struct toStruct() {
        return new Struct(EnvelopeSchemas.VALUE)
                .put("op", Operation.TRUNCATE.wireName())
                .put("schema", table.schema())
                .put("table", table.table())
                .put("truncate_cascade", cascade)
                .put("truncate_restart_identity", restartIdentity);
    }
}
