package io.pgmesh.sink.apply;

import io.pgmesh.common.NodeName;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * The node each replication origin of this database stands for, so that the apply statements can
 * report the origin of a row's version as its roident and the node name is looked up here rather
 * than by a catalog join and a {@code pgmesh.node} scan in every statement. The node of roident
 * {@code pgmesh_<node>}'s origin is {@code <node>}; a local write (roident 0, or no commit timestamp
 * record) and any other origin stand for this node, exactly as {@code pgmesh.xact_version} says.
 *
 * <p>Read from the connection when first needed and again whenever a roident not read before
 * turns up (an origin created since, by this sink or another); a roident still unknown after that
 * is this node's from then on. One per connection, so a reconnect reads afresh. An origin dropped
 * and its roident taken by a new one while a connection lives is not seen: the sink is reconfigured
 * (its tasks restarted) when a node is added, and what is named here only labels the conflict
 * log; which version wins is decided in the statement, on the catalog as it is.
 */
final class OriginNodes {

    private static final String READ = "SELECT (SELECT name FROM pgmesh.node), o.roident, o.roname"
            + " FROM (SELECT 1) AS one LEFT JOIN pg_catalog.pg_replication_origin AS o ON true";

    private final Connection connection;
    private final Map<Long, String> nodes = new HashMap<>();
    private String local;

    OriginNodes(Connection connection) {
        this.connection = connection;
    }

    /** The node of the version an apply statement reported with {@code roident} (null: no commit timestamp record). */
    String nodeOf(Long roident) throws SQLException {
        if (local == null) {
            read();
        }
        if (roident == null || roident == 0) {
            return local;
        }
        String node = nodes.get(roident);
        if (node == null) {
            read();
            node = nodes.computeIfAbsent(roident, r -> local);
        }
        return node;
    }

    private void read() throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(READ); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                local = rs.getString(1);
                long roident = rs.getLong(2);
                if (!rs.wasNull()) {
                    nodes.put(roident, nodeOfOriginName(rs.getString(3)));
                }
            }
        }
        if (local == null) {
            throw new ConnectException("This database has no row in pgmesh.node, so the sink cannot tell its own"
                    + " writes from its peers': the pgmesh schema was changed by hand. Restart the sink connector:"
                    + " it names the node again.");
        }
        nodes.replaceAll((roident, node) -> node == null ? local : node);
    }

    /**
     * The node an origin name stands for, null for this node: what follows {@link NodeName#ORIGIN_PREFIX},
     * as {@code pgmesh.xact_version} reads it (it takes the rest of the name as it is, valid node name or
     * not, so this does too rather than {@link NodeName#fromOriginName}).
     */
    static String nodeOfOriginName(String originName) {
        return originName != null && originName.startsWith(NodeName.ORIGIN_PREFIX)
                ? originName.substring(NodeName.ORIGIN_PREFIX.length())
                : null;
    }
}
