package io.pgmesh.source.snapshot;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import io.pgmesh.common.envelope.ChangeHeaders;
import io.pgmesh.common.envelope.ChangeKey;
import io.pgmesh.common.envelope.ColumnValue;
import io.pgmesh.common.envelope.KeyColumn;
import io.pgmesh.common.envelope.LogicalMessage;
import io.pgmesh.common.envelope.Operation;
import io.pgmesh.common.envelope.RowImage;
import io.pgmesh.common.json.Json;
import io.pgmesh.source.capture.ChangeEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * Turns the rows a snapshot reads into records: one insert per row, carrying the row's own commit
 * time and origin where known (else time 0 and this node), numbered in topic transactions of a
 * fixed number of rows, and closed by a {@code pgmesh.snapshot} message whose position marks the
 * snapshot complete.
 *
 * <p>Every record sits at commit LSN {@code position - 1}: before every transaction the stream
 * sends afterwards (those commit at or after {@code position}), with its sequence number counting
 * up through the whole snapshot.
 */
public final class SnapshotEvents {

    /** Prefix of the message that ends a snapshot; its content says what was copied. */
    public static final String DONE_PREFIX = "pgmesh.snapshot";

    private final NodeName node;
    private final Lsn commitLsn;
    private final int rowsPerTransaction;
    private final LongSupplier clockMicros;
    private final Map<Integer, NodeName> originById;
    private int seq;
    private long rows;
    private int tables;

    /**
     * @param position   the snapshot's position: the slot's consistent point, or the position it
     *                   streams from
     * @param originById pgmesh replication origins of the node by id, to name a row's origin
     */
    public SnapshotEvents(NodeName node, Lsn position, int rowsPerTransaction, Map<Integer, NodeName> originById,
                          LongSupplier clockMicros) {
        if (!position.isValid()) {
            throw new IllegalArgumentException("a snapshot needs a valid position");
        }
        if (rowsPerTransaction < 1) {
            throw new IllegalArgumentException("rows per transaction must be positive");
        }
        this.node = node;
        this.commitLsn = new Lsn(position.value() - 1);
        this.rowsPerTransaction = rowsPerTransaction;
        this.originById = Map.copyOf(originById);
        this.clockMicros = clockMicros;
    }

    /** Counts a table as copied (for the closing message). */
    public void tableDone() {
        tables++;
    }

    /**
     * The record of one row.
     *
     * @param fields the COPY fields: the table's columns, then commit time (µs) and origin id
     */
    public ChangeEvent row(SnapshotTable table, List<String> fields) {
        int width = table.columns().size();
        if (fields.size() != width + 2) {
            throw new IllegalStateException("snapshot row of " + table.table() + " has " + fields.size()
                    + " fields, expected " + (width + 2));
        }
        List<ColumnValue> columns = new ArrayList<>(width);
        List<KeyColumn> key = new ArrayList<>();
        for (int i = 0; i < width; i++) {
            SnapshotTable.Column c = table.columns().get(i);
            columns.add(ColumnValue.of(c.name(), c.type(), fields.get(i)));
            if (c.key()) {
                key.add(new KeyColumn(c.name(), fields.get(i)));
            }
        }
        String micros = fields.get(width);
        String originId = fields.get(width + 1);
        NodeName origin = originId == null ? node : originById.getOrDefault(Integer.parseInt(originId), node);
        int mySeq = seq++;
        rows++;
        ChangeKey changeKey = table.hasKey() ? ChangeKey.row(table.table(), key)
                : ChangeKey.unidentifiedRow(table.table(), node.value() + "/snapshot/" + commitLsn + "/" + mySeq);
        ChangeHeaders headers = new ChangeHeaders(node, origin, micros == null ? 0L : Long.parseLong(micros), commitLsn,
                commitLsn, 0L, mySeq, (mySeq + 1) % rowsPerTransaction == 0, Operation.INSERT, table.sets(), null, true);
        return new ChangeEvent(headers, changeKey, new RowImage(Operation.INSERT, table.table(), columns, null), null);
    }

    /** The message that ends the snapshot, last of its transaction. */
    public ChangeEvent done() {
        int mySeq = seq++;
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("tables", tables);
        content.put("rows", rows);
        content.put("position", commitLsn.toString());
        LogicalMessage message = new LogicalMessage(DONE_PREFIX, Json.write(content).getBytes(StandardCharsets.UTF_8),
                true);
        ChangeHeaders headers = new ChangeHeaders(node, node, clockMicros.getAsLong(), commitLsn, commitLsn, 0L, mySeq,
                true, Operation.MESSAGE, new TreeSet<>(), null, true);
        return new ChangeEvent(headers, ChangeKey.message(node.value() + "/snapshot/" + commitLsn + "/" + mySeq),
                message, null);
    }

    public long rows() {
        return rows;
    }

    public int tables() {
        return tables;
    }
}
