package io.pgmesh.common.envelope;

import java.util.Arrays;
import java.util.Objects;
import org.apache.kafka.connect.data.Struct;

/**
 * A logical decoding message written with {@code pg_logical_emit_message}: replicated DDL under the
 * {@link #DDL_PREFIX} prefix, the source's heartbeats under {@link #HEARTBEAT_PREFIX}, replication
 * set changes under {@link #SETS_PREFIX}, sync events under {@link #SYNC_PREFIX}.
 */
public record LogicalMessage(String prefix, byte[] content, boolean transactional) implements ChangeValue {

    public static final String DDL_PREFIX = "pgmesh.ddl";
    public static final String HEARTBEAT_PREFIX = "pgmesh.heartbeat";
    /** A replication set was created or dropped on the node: {@code {"set": name, "change": "create"|"drop"}}. */
    public static final String SETS_PREFIX = "pgmesh.sets";
    /**
     * A table joined or left a replication set on the node ({@code {"id": entry, "relid": oid}}, an
     * entry of {@code pgmesh.set_membership_log}): read by the node's own source, never carried on.
     */
    public static final String MEMBERS_PREFIX = "pgmesh.members";
    /**
     * A sync event ({@code pgmesh.sync_event()}, content the node's name): a peer that applied it
     * has applied everything the node committed before it.
     */
    public static final String SYNC_PREFIX = "pgmesh.sync";

    public LogicalMessage {
        Objects.requireNonNull(prefix, "prefix");
        content = content == null ? new byte[0] : content.clone();
    }

    @Override
    public byte[] content() {
        return content.clone();
    }

    @Override
    public Operation operation() {
        return HEARTBEAT_PREFIX.equals(prefix) ? Operation.HEARTBEAT : Operation.MESSAGE;
    }

    @Override
    public Struct toStruct() {
        return new Struct(EnvelopeSchemas.VALUE)
                .put("op", operation().wireName())
                .put("message_prefix", prefix)
                .put("message_content", content.clone())
                .put("message_transactional", transactional);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogicalMessage m && prefix.equals(m.prefix)
                && transactional == m.transactional && Arrays.equals(content, m.content);
    }

    @Override
    public int hashCode() {
        return Objects.hash(prefix, transactional, Arrays.hashCode(content));
    }

    @Override
    public String toString() {
        return "LogicalMessage[prefix=" + prefix + ", transactional=" + transactional
                + ", bytes=" + content.length + "]";
    }
}
