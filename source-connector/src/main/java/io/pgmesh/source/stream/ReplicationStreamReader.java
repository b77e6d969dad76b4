package io.pgmesh.source.stream;

import io.pgmesh.common.Lsn;
import io.pgmesh.source.capture.ChangeAssembler;
import io.pgmesh.source.capture.ChangeEvent;
import io.pgmesh.source.capture.StreamPosition;
import io.pgmesh.source.config.PgmeshSourceConfig;
import io.pgmesh.source.database.CatalogQueries;
import io.pgmesh.source.decode.PgOutputDecoder;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pgoutput stream of one slot, decoded and assembled into change events. Confirms positions
 * to the server only when told to ({@code withAutomaticFlush(false)}): the driver never advances
 * the slot by itself. It has no close of its own: ending a COPY politely drains everything the
 * server still has to send, so the owner aborts the connection instead.
 */
final class ReplicationStreamReader {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicationStreamReader.class);
    private static final long CONFIRM_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final PGReplicationStream stream;
    private final PgOutputDecoder decoder = new PgOutputDecoder();
    private final ChangeAssembler assembler;
    private Lsn confirmed = Lsn.INVALID;
    private long lastConfirmNanos;

    private ReplicationStreamReader(PGReplicationStream stream, ChangeAssembler assembler) {
        this.stream = stream;
        this.assembler = assembler;
    }

    /**
     * @param setByPublication the publications to stream, and the replication set each stands for
     * @param startAt where the server starts decoding when that is past the slot's confirmed
     *                position (transactions committed before it are not decoded at all);
     *                {@link Lsn#INVALID} for the slot's confirmed position
     */
    static ReplicationStreamReader open(PgmeshSourceConfig config, Connection control, Connection replication,
                                        Map<String, String> setByPublication, StreamPosition resumeAfter,
                                        Lsn startAt) throws SQLException {
        PGReplicationStream stream = replication.unwrap(PGConnection.class).getReplicationAPI()
                .replicationStream().logical()
                .withSlotName(config.slotName())
                .withStartPosition(startAt.isValid() ? LogSequenceNumber.valueOf(startAt.value())
                        : LogSequenceNumber.INVALID_LSN)
                .withSlotOption("proto_version", 1)
                .withSlotOption("publication_names", String.join(",", setByPublication.keySet()))
                .withSlotOption("messages", true)
                .withStatusInterval((int) config.statusInterval().toMillis(), TimeUnit.MILLISECONDS)
                .withAutomaticFlush(false)
                .start();
        ChangeAssembler assembler = new ChangeAssembler(config.nodeName(), config.messagePrefixes(),
                new CatalogQueries(control, setByPublication), resumeAfter,
                () -> TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis()));
        return new ReplicationStreamReader(stream, assembler);
    }

    /** The events of the next message, or null when the server has sent nothing new. */
    List<ChangeEvent> next() throws SQLException {
        ByteBuffer message = stream.readPending();
        if (message == null) {
            return null;
        }
        return assembler.accept(decoder.decode(message));
    }

    /** The replication set change of the transaction last committed, once; see {@link ChangeAssembler#takeSetsChange}. */
    java.util.Optional<ChangeAssembler.SetsChange> takeSetsChange() {
        return assembler.takeSetsChange();
    }

    /** Confirms {@code lsn} to the server if it is new, at most twice a second. */
    void confirm(Lsn lsn) throws SQLException {
        long now = System.nanoTime();
        if (!lsn.isAfter(confirmed) || now - lastConfirmNanos < CONFIRM_EVERY_NANOS) {
            return;
        }
        LogSequenceNumber position = LogSequenceNumber.valueOf(lsn.value());
        stream.setFlushedLSN(position);
        stream.setAppliedLSN(position);
        stream.forceUpdateStatus();
        confirmed = lsn;
        lastConfirmNanos = now;
        LOG.debug("Confirmed slot position {}", lsn);
    }

    /** Sends a status update so the server does not time the connection out while we wait. */
    void keepAlive() throws SQLException {
        stream.forceUpdateStatus();
    }
}
