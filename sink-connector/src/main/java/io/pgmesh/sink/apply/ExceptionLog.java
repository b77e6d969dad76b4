package io.pgmesh.sink.apply;

import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.common.envelope.KeyColumn;
import io.pgmesh.common.envelope.LogicalMessage;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.common.envelope.Truncation;
import io.pgmesh.common.json.Json;
import io.pgmesh.sink.pipeline.StatementPipeline;
import io.pgmesh.sink.record.ChangeRecord;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Records a change the sink leaves out in pgmesh.exceptions, queued in the pipeline of the local
 * transaction that records the origin's progress past it: a change is left out exactly when its
 * record commits.
 */
final class ExceptionLog {

    private static final String INSERT = "INSERT INTO pgmesh.exceptions (origin, origin_lsn, origin_commit_ts, topic,"
            + " kafka_partition, kafka_offset, table_schema, table_name, operation, key, row_data, policy, failed_offset,"
            + " sqlstate, error) VALUES (?, ?::pg_lsn, ?::timestamptz, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?)";

    /** Why changes are left out: the policy, the change that failed, and its error. */
    record Reason(String policy, long failedOffset, String sqlState, String error) {
    }

    private ExceptionLog() {
    }

    static void queue(StatementPipeline pipeline, ChangeRecord r, Reason why) {
        Map<String, String> key = new LinkedHashMap<>();
        for (KeyColumn k : r.key().columns() == null ? java.util.List.<KeyColumn>of() : r.key().columns()) {
            key.put(k.name(), k.value());
        }
        String rowData;
        if (r.value() instanceof RowImage image) {
            Map<String, String> row = new LinkedHashMap<>();
            for (ColumnValue c : image.columns()) {
                if (!c.unchangedToast()) {
                    row.put(c.name(), c.value());
                }
            }
            rowData = Json.write(row);
        } else if (r.value() instanceof LogicalMessage m) {
            rowData = Json.write(Map.of("message", new String(m.content(), java.nio.charset.StandardCharsets.UTF_8)));
        } else if (r.value() instanceof Truncation t) {
            rowData = Json.write(Map.of("restart_identity", t.restartIdentity()));
        } else {
            rowData = null;
        }
        var table = r.value() instanceof RowImage image ? image.table()
                : r.value() instanceof Truncation t ? t.table() : r.key().table();
        String origin = r.origin().value();
        String lsn = r.headers().originLsn().toString();
        String commitTs = r.version().timestamptz();
        String keyJson = key.isEmpty() ? null : Json.write(key);
        pipeline.add(INSERT, a -> a.text(origin).text(lsn).text(commitTs).text(r.topic()).number(r.partition())
                .number(r.offset()).text(table == null ? null : table.schema()).text(table == null ? null : table.table())
                .text(r.headers().op().wireName()).text(keyJson).text(rowData).text(why.policy())
                .number(why.failedOffset()).text(why.sqlState()).text(why.error()), null);
    }
}
