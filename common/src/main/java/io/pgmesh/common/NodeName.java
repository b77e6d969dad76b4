package io.pgmesh.common;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A node's cluster-unique name: 1 to 32 characters of {@code [a-z0-9_]}. It names the node's topic,
 * its replication slot and, on every peer, the replication origin its changes are applied under.
 */
public record NodeName(String value) {

    public static final Pattern PATTERN = Pattern.compile("[a-z0-9_]{1,32}");

    /** Prefix of the replication origins a pgmesh sink applies under: {@code pgmesh_<node>}. */
    public static final String ORIGIN_PREFIX = "pgmesh_";

    public NodeName {
        if (value == null || !PATTERN.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid node name '" + value
                    + "': use 1 to 32 characters of lower-case letters, digits and '_'");
        }
    }

    public static boolean isValid(String value) {
        return value != null && PATTERN.matcher(value).matches();
    }

    /** The replication origin name under which peers apply this node's changes. */
    public String originName() {
        return ORIGIN_PREFIX + value;
    }

    /** The node a pgmesh replication origin name stands for, if it is one. */
    public static Optional<NodeName> fromOriginName(String originName) {
        if (originName == null || !originName.startsWith(ORIGIN_PREFIX)) {
            return Optional.empty();
        }
        String node = originName.substring(ORIGIN_PREFIX.length());
        return isValid(node) ? Optional.of(new NodeName(node)) : Optional.empty();
    }

    @Override
    public String toString() {
        return value;
    }
}
