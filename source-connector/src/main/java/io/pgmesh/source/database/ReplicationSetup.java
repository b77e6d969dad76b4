package io.pgmesh.source.database;

import io.pgmesh.common.Lsn;
import io.pgmesh.common.config.ConfigProblem;
import io.pgmesh.source.capture.StreamPosition;
import io.pgmesh.source.config.PgmeshSourceConfig;
import io.pgmesh.source.config.PgmeshSourceConfig.PublicationAutocreateMode;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.kafka.connect.errors.ConnectException;
import org.postgresql.PGConnection;
import org.postgresql.replication.ReplicationSlotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the node to where the source can stream: the server passes the preflight checks, the
 * sets' publications exist (created FOR ALL TABLES when so configured), and the slot exists. A
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
     * @param committedOffset the position Connect last committed for this source, if any
     * @return the slot's confirmed position before streaming starts
     */
    public Lsn prepare(Connection control, Connection replication, Optional<StreamPosition> committedOffset) throws SQLException {
        List<ConfigProblem> problems = preflight.check(control);
        if (!problems.isEmpty()) {
            throw new ConnectException("The node is not ready for pgmesh: " + problems.stream()
                    .map(p -> p.message() + " [" + p.key() + "]").collect(Collectors.joining(" ")));
        }
        ensurePublications(control);
        return ensureSlot(control, replication, committedOffset);
    }

    private void ensurePublications(Connection control) throws SQLException {
        Publications publications = new Publications(control);
        for (String publication : config.publications()) {
            if (!publications.exists(publication)
                    && config.publicationAutocreateMode() == PublicationAutocreateMode.ALL_TABLES) {
                publications.createForAllTables(publication);
                LOG.info("Created publication {} FOR ALL TABLES on {}", publication, config.nodeName());
            }
        }
    }

    private Lsn ensureSlot(Connection control, Connection replication, Optional<StreamPosition> committedOffset)
            throws SQLException {
        String slot = config.slotName();
        Optional<ReplicationSlots.SlotInfo> existing = new ReplicationSlots(control).find(slot);
        if (existing.isPresent()) {
            return existing.get().confirmedFlush();
        }
        if (committedOffset.isPresent()) {
            throw new ConnectException("Replication slot " + slot + " does not exist on node " + config.nodeName()
                    + ", but this connector already streamed from it (committed offset " + committedOffset.get()
                    + "): changes committed on the node after that position may be missing from the topic. Re-seed"
                    + " the peers from a healthy node, then reset this connector's offsets (stop it and"
                    + " DELETE /connectors/<name>/offsets) so that it creates a new slot.");
        }
        ReplicationSlotInfo info = replication.unwrap(PGConnection.class).getReplicationAPI()
                .createReplicationSlot().logical().withSlotName(slot).withOutputPlugin("pgoutput").make();
        LOG.info("Created replication slot {} on node {} at {}", slot, config.nodeName(), info.getConsistentPoint());
        return Lsn.parse(info.getConsistentPoint().asString());
    }
}
