package io.pgmesh.source.database;

import io.pgmesh.common.sql.SqlIdentifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** The publications behind replication sets. */
public final class Publications {

    private final Connection connection;

    public Publications(Connection connection) {
        this.connection = connection;
    }

    public boolean exists(String publication) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            s.setString(1, publication);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Creates {@code publication} FOR ALL TABLES; a concurrent creation of the same one is fine. */
    public void createForAllTables(String publication) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE PUBLICATION " + SqlIdentifiers.quote(publication) + " FOR ALL TABLES");
        } catch (SQLException e) {
            if (!"42710".equals(e.getSQLState())) {
                throw e;
            }
        }
    }
}
