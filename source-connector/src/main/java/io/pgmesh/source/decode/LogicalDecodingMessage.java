package io.pgmesh.source.decode;

import io.pgmesh.common.Lsn;
import java.util.Arrays;
import java.util.Objects;

/**
 * {@code 'M'}: a message written with {@code pg_logical_emit_message}. Layout: Byte1('M'), Int8
 * flags (1 = transactional), Int64 LSN of the message, String prefix, Int32 content length, Byte[n]
 * content. A transactional message arrives inside its transaction; a non-transactional one arrives
 * alone, as soon as it is decoded.
 */
public record LogicalDecodingMessage(boolean transactional, Lsn lsn, String prefix, byte[] content)
        implements PgOutputMessage {

    public LogicalDecodingMessage {
        Objects.requireNonNull(prefix, "prefix");
        content = content.clone();
    }

    @Override
    public byte[] content() {
        return content.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogicalDecodingMessage m && transactional == m.transactional
                && lsn.equals(m.lsn) && prefix.equals(m.prefix) && Arrays.equals(content, m.content);
    }

    @Override
    public int hashCode() {
        return Objects.hash(transactional, lsn, prefix, Arrays.hashCode(content));
    }

    @Override
    public String toString() {
        return "LogicalDecodingMessage[transactional=" + transactional + ", lsn=" + lsn + ", prefix=" + prefix
                + ", bytes=" + content.length + "]";
    }
}
