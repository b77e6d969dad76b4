package io.pgmesh.source.database;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.config.ConfigProblem;
import io.pgmesh.common.schema.NodeSchema;
import io.pgmesh.source.capture.StreamPosition;
import io.pgmesh.source.config.PgmeshSourceConfig;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the node to where the source can stream: the server passes the preflight checks, schema
 * pgmesh is installed (replication sets, DDL capture) and names this node, and the slot exists. A
 * problem a person must fix is a {@link ConnectException} saying what to do; database failures are
 * thrown as they are, for the caller to classify.
 */
public final class ReplicationSetup {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicationSetup.class);

    private final PgmeshSourceConfig config;
    private final ServerPreflight preflight;

    public ReplicationSetup(PgmeshSourceConfig config, ServerPreflight preflight) {
        this.config = config;
        this.preflight = preflight;
    }

    /**
     * Where streaming starts (the slot's confirmed position, or a later one asked for), and the
     * sets to stream by publication.
     */
    public record Prepared(Lsn start, Map<String, String> setByPublication, String exportedSnapshot) {
    }

    /** The slot's position, and the snapshot it exported when it was created just now (else null). */
    private record Slot(Lsn position, String exportedSnapshot) {
    }

    /**
     * @param committedOffset the position Connect last committed for this source, if any
     * @param notBefore       a position streaming must not start before although the slot is not
     *                        confirmed there yet (the end of a transaction that changed the sets,
     *                        everything before it acknowledged by Kafka), or {@link Lsn#INVALID}
     * @param exportSnapshot  whether a slot created now exports its snapshot, for the initial copy;
     *                        the replication connection must then run nothing else until the
     *                        snapshot transaction has imported it
     */
    public Prepared prepare(Connection control, Connection replication, Optional<StreamPosition> committedOffset,
                            Lsn notBefore, boolean exportSnapshot) throws SQLException {
        List<ConfigProblem> problems = preflight.check(control);
        if (!problems.isEmpty()) {
            throw new ConnectException("The node is not ready for pgmesh: " + problems.stream()
                    .map(p -> p.message() + " [" + p.key() + "]").collect(Collectors.joining(" ")));
        }
        NodeSchema.bootstrap(control, config.nodeName());
        Slot slot = ensureSlot(control, replication, committedOffset, exportSnapshot);
        Lsn start = Lsn.max(slot.position(), notBefore);
        Map<String, String> sets = new StreamedSets(config.replicationSets()).resolve(control, start);
        LOG.info("Node {} streams replication sets {} from {}", config.nodeName(), sets.values(), start);
        return new Prepared(start, sets, slot.exportedSnapshot());
    }

    private Slot ensureSlot(Connection control, Connection replication, Optional<StreamPosition> committedOffset,
                            boolean exportSnapshot) throws SQLException {
        String slot = config.slotName();
        Optional<ReplicationSlots.SlotInfo> existing = new ReplicationSlots(control).find(slot);
        if (existing.isPresent()) {
            return new Slot(existing.get().confirmedFlush(), null);
        }
        if (committedOffset.isPresent()) {
            throw new ConnectException("Replication slot " + slot + " does not exist on node " + config.nodeName()
                    + ", but this connector already streamed from it (committed offset " + committedOffset.get()
                    + "): changes committed on the node after that position may be missing from the topic. Re-seed"
                    + " the peers from a healthy node, then reset this connector's offsets (stop it and"
                    + " DELETE /connectors/<name>/offsets) so that it creates a new slot.");
        }
        Lsn start;
        String snapshot;
        try (Statement s = replication.createStatement()) {
            // slot names are [a-z0-9_] (validated), so the name needs no quoting
            s.execute("CREATE_REPLICATION_SLOT " + slot + " LOGICAL pgoutput (SNAPSHOT '"
                    + (exportSnapshot ? "export" : "nothing") + "')");
            try (ResultSet rs = s.getResultSet()) {
                if (rs == null || !rs.next()) {
                    throw new SQLException("CREATE_REPLICATION_SLOT returned no row", "XX000");
                }
                start = Lsn.parse(rs.getString("consistent_point"));
                snapshot = exportSnapshot ? rs.getString("snapshot_name") : null;
            }
        }
        LOG.info("Created replication slot {} on node {} at {}{}", slot, config.nodeName(), start,
                snapshot == null ? "" : ", exporting snapshot " + snapshot);
        StreamedSets.markStreamable(control, null, start);
        return new Slot(start, snapshot);
    }
}
