package io.pgmesh.sink.apply;

import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.common.envelope.KeyColumn;
import io.pgmesh.common.envelope.LogicalMessage;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.common.envelope.Truncation;
import io.pgmesh.common.json.Json;
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
        pipeline.add(INSERT, 15, (s, first) -> {
            s.setString(first, origin);
            s.setString(first + 1, lsn);
            s.setString(first + 2, commitTs);
            s.setString(first + 3, r.topic());
            s.setInt(first + 4, r.partition());
            s.setLong(first + 5, r.offset());
            s.setString(first + 6, table == null ? null : table.schema());
            s.setString(first + 7, table == null ? null : table.table());
            s.setString(first + 8, r.headers().op().wireName());
            s.setString(first + 9, keyJson);
            s.setString(first + 10, rowData);
            s.setString(first + 11, why.policy());
            s.setLong(first + 12, why.failedOffset());
            s.setString(first + 13, why.sqlState());
            s.setString(first + 14, why.error());
        }, null);
    }
}
