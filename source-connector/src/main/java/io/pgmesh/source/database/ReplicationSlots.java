package io.pgmesh.source.database;

import io.pgmesh.common.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** Reads replication slots from {@code pg_replication_slots}. */
public final class ReplicationSlots {

    /** What the server knows of a slot. */
    public record SlotInfo(String name, String plugin, String slotType, String database, Lsn confirmedFlush,
                           Integer activePid) {

        /** Why the source cannot stream from this slot, if it cannot. */
        public Optional<String> unusableReason(String expectedDatabase) {
            if (!"logical".equals(slotType) || !"pgoutput".equals(plugin)) {
                return Optional.of("slot " + name + " exists but is a " + slotType + " slot with plugin " + plugin
                        + "; pgmesh needs a logical slot with pgoutput. Drop it or choose another slot.name.");
            }
            if (!expectedDatabase.equals(database)) {
                return Optional.of("slot " + name + " belongs to database " + database + ", not "
                        + expectedDatabase + ". Choose another slot.name.");
            }
            return Optional.empty();
        }
    }

    private final Connection connection;

    public ReplicationSlots(Connection connection) {
        this.connection = connection;
    }

    public Optional<SlotInfo> find(String slotName) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT slot_name, plugin, slot_type, database,"
                + " confirmed_flush_lsn::text, active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, slotName);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String confirmed = rs.getString(5);
                int pid = rs.getInt(6);
                return Optional.of(new SlotInfo(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        confirmed == null ? Lsn.INVALID : Lsn.parse(confirmed), rs.wasNull() ? null : pid));
            }
        }
    }
}
