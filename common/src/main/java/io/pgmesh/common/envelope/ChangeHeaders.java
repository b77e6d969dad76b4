package io.pgmesh.common.envelope;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.NodeName;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.connect.data.Values;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.header.Headers;

/**
 * The provenance every node-topic record carries in its headers, whatever the converter: which node
 * wrote the topic, where the change originated (node, commit time, LSN), where it sits in its
 * transaction, what it is, and which replication sets its table belongs to.
 *
 * @param node               the node whose topic this is ({@code pgmesh.node})
 * @param originNode         the node where the change was first committed ({@code pgmesh.origin.node})
 * @param originCommitMicros origin commit time, microseconds since the Unix epoch ({@code pgmesh.origin.commit.us})
 * @param originLsn          the origin's commit LSN ({@code pgmesh.origin.lsn})
 * @param commitLsn          this node's commit LSN of the transaction ({@code pgmesh.commit.lsn})
 * @param xid                this node's transaction id, 0 outside a transaction ({@code pgmesh.xid})
 * @param txSeq              0-based position of the record in its transaction ({@code pgmesh.tx.seq})
 * @param txLast             whether this is the transaction's last record ({@code pgmesh.tx.last})
 * @param op                 what happened ({@code pgmesh.op})
 * @param sets               replication sets of the record's table, sorted ({@code pgmesh.sets}, comma-separated)
 * @param externalOrigin     the raw replication-origin name when the change came from outside pgmesh
 *                           (for example a native subscription), else null ({@code pgmesh.origin.external})
 * @param snapshot           whether the record is a row of an initial snapshot rather than a streamed change
 *                           ({@code pgmesh.snapshot}, present only when true). A snapshot row carries the
 *                           commit time and origin of the row's last write where the server still knows
 *                           them (else 0 and this node); its LSNs are the snapshot's position, not the
 *                           origin's, so a sink neither checks nor advances origin progress with it.
 */
public record ChangeHeaders(NodeName node, NodeName originNode, long originCommitMicros, Lsn originLsn,
                            Lsn commitLsn, long xid, int txSeq, boolean txLast, Operation op,
                            SortedSet<String> sets, String externalOrigin, boolean snapshot) {

    public static final String FORMAT = "pgmesh.format";
    public static final String NODE = "pgmesh.node";
    public static final String ORIGIN_NODE = "pgmesh.origin.node";
    public static final String ORIGIN_COMMIT_US = "pgmesh.origin.commit.us";
    public static final String ORIGIN_LSN = "pgmesh.origin.lsn";
    public static final String ORIGIN_EXTERNAL = "pgmesh.origin.external";
    public static final String COMMIT_LSN = "pgmesh.commit.lsn";
    public static final String XID = "pgmesh.xid";
    public static final String TX_SEQ = "pgmesh.tx.seq";
    public static final String TX_LAST = "pgmesh.tx.last";
    public static final String OP = "pgmesh.op";
    public static final String SETS = "pgmesh.sets";
    public static final String SNAPSHOT = "pgmesh.snapshot";

    /** Every header a record always carries ({@link #ORIGIN_EXTERNAL} only when it applies). */
    public static final List<String> ALWAYS_PRESENT = List.of(FORMAT, NODE, ORIGIN_NODE, ORIGIN_COMMIT_US,
            ORIGIN_LSN, COMMIT_LSN, XID, TX_SEQ, TX_LAST, OP, SETS);

    /** Headers of a streamed change (not part of a snapshot). */
    public ChangeHeaders(NodeName node, NodeName originNode, long originCommitMicros, Lsn originLsn, Lsn commitLsn,
                         long xid, int txSeq, boolean txLast, Operation op, SortedSet<String> sets,
                         String externalOrigin) {
        this(node, originNode, originCommitMicros, originLsn, commitLsn, xid, txSeq, txLast, op, sets, externalOrigin,
                false);
    }

    public ChangeHeaders {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(originNode, "originNode");
        Objects.requireNonNull(originLsn, "originLsn");
        Objects.requireNonNull(commitLsn, "commitLsn");
        Objects.requireNonNull(op, "op");
        if (txSeq < 0) {
            throw new IllegalArgumentException("transaction position must not be negative: " + txSeq);
        }
        sets = sets == null ? new TreeSet<>() : new TreeSet<>(sets);
    }

    /** The same headers, marked as the last record of their transaction. */
    public ChangeHeaders asLastInTransaction() {
        return new ChangeHeaders(node, originNode, originCommitMicros, originLsn, commitLsn, xid, txSeq, true, op,
                sets, externalOrigin, snapshot);
    }

    public void writeTo(Headers headers) {
        headers.addInt(FORMAT, EnvelopeSchemas.FORMAT_VERSION)
                .addString(NODE, node.value())
                .addString(ORIGIN_NODE, originNode.value())
                .addLong(ORIGIN_COMMIT_US, originCommitMicros)
                .addString(ORIGIN_LSN, originLsn.toString())
                .addString(COMMIT_LSN, commitLsn.toString())
                .addLong(XID, xid)
                .addInt(TX_SEQ, txSeq)
                .addBoolean(TX_LAST, txLast)
                .addString(OP, op.wireName())
                .addString(SETS, String.join(",", sets));
        if (externalOrigin != null) {
            headers.addString(ORIGIN_EXTERNAL, externalOrigin);
        }
        if (snapshot) {
            headers.addBoolean(SNAPSHOT, true);
        }
    }

    /**
     * Reads the headers back, whatever the header converter made of them.
     *
     * @throws DataException when a header is missing or malformed, or the format is newer than this code
     */
    public static ChangeHeaders readFrom(Headers headers) {
        int format = Values.convertToInteger(null, required(headers, FORMAT));
        if (format != EnvelopeSchemas.FORMAT_VERSION) {
            throw new DataException("record format version " + format + " is not supported by this pgmesh"
                    + " (it reads version " + EnvelopeSchemas.FORMAT_VERSION + "): upgrade the sink connector");
        }
        try {
            return new ChangeHeaders(
                    new NodeName(text(headers, NODE)),
                    new NodeName(text(headers, ORIGIN_NODE)),
                    Values.convertToLong(null, required(headers, ORIGIN_COMMIT_US)),
                    Lsn.parse(text(headers, ORIGIN_LSN)),
                    Lsn.parse(text(headers, COMMIT_LSN)),
                    Values.convertToLong(null, required(headers, XID)),
                    Values.convertToInteger(null, required(headers, TX_SEQ)),
                    Values.convertToBoolean(null, required(headers, TX_LAST)),
                    Operation.fromWireName(text(headers, OP)),
                    parseSets(optionalText(headers, SETS)),
                    optionalText(headers, ORIGIN_EXTERNAL),
                    headers.lastWithName(SNAPSHOT) != null
                            && Boolean.TRUE.equals(Values.convertToBoolean(null, headers.lastWithName(SNAPSHOT).value())));
        } catch (IllegalArgumentException e) {
            throw new DataException("malformed pgmesh headers: " + e.getMessage(), e);
        }
    }

    private static SortedSet<String> parseSets(String text) {
        if (text == null || text.isEmpty()) {
            return new TreeSet<>();
        }
        return Arrays.stream(text.split(",")).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Object required(Headers headers, String name) {
        Header header = headers.lastWithName(name);
        if (header == null || header.value() == null) {
            throw new DataException("record has no '" + name + "' header: it was not written by a pgmesh source");
        }
        return header.value();
    }

    private static String text(Headers headers, String name) {
        return Values.convertToString(null, required(headers, name));
    }

    private static String optionalText(Headers headers, String name) {
        Header header = headers.lastWithName(name);
        return header == null || header.value() == null ? null : Values.convertToString(null, header.value());
    }

    /** Whether the record's table is in at least one of {@code subscribed}. */
    public boolean inAnySet(Set<String> subscribed) {
        return sets.stream().anyMatch(subscribed::contains);
    }
}
