package io.pgmesh.source.decode;

import io.pgmesh.common.Lsn;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the messages {@code pgoutput} sends for protocol version 1 with {@code messages 'true'}.
 * Stateless: a message's meaning depends on the Relation messages before it, which is the
 * caller's business. Any other message type (streaming or two-phase messages, which pgmesh never
 * asks for) is refused with a {@link PgOutputFormatException} naming it.
 */
public final class PgOutputDecoder {

    /** Microseconds between the Unix epoch and PostgreSQL's epoch, 2000-01-01. */
    static final long POSTGRES_EPOCH_OFFSET_MICROS = 946_684_800_000_000L;

    public PgOutputMessage decode(ByteBuffer buffer) {
        ByteBuffer in = buffer.slice();
        if (!in.hasRemaining()) {
            throw new PgOutputFormatException("empty pgoutput message");
        }
        char type = (char) in.get();
        try {
            PgOutputMessage message = decode(type, in);
            if (in.hasRemaining()) {
                throw new PgOutputFormatException("pgoutput message '" + type + "' has " + in.remaining()
                        + " unexpected trailing bytes");
            }
            return message;
        } catch (BufferUnderflowException e) {
            throw new PgOutputFormatException("pgoutput message '" + type + "' is truncated", e);
        }
    }

    private PgOutputMessage decode(char type, ByteBuffer in) {
        return switch (type) {
            case 'B' -> new Begin(new Lsn(in.getLong()), toUnixMicros(in.getLong()), Integer.toUnsignedLong(in.getInt()));
            case 'C' -> new Commit(in.get(), new Lsn(in.getLong()), new Lsn(in.getLong()), toUnixMicros(in.getLong()));
            case 'O' -> new Origin(new Lsn(in.getLong()), string(in));
            case 'R' -> relation(in);
            case 'Y' -> new TypeMessage(in.getInt(), string(in), string(in));
            case 'I' -> insert(in);
            case 'U' -> update(in);
            case 'D' -> delete(in);
            case 'T' -> truncate(in);
            case 'M' -> message(in);
            default -> throw new PgOutputFormatException("unsupported pgoutput message type '" + type
                    + "' (0x" + Integer.toHexString(type) + "): pgmesh reads protocol version 1 without streaming"
                    + " or two-phase messages");
        };
    }

    private static Relation relation(ByteBuffer in) {
        int relationId = in.getInt();
        String namespace = string(in);
        String name = string(in);
        char replicaIdentity = (char) in.get();
        int count = Short.toUnsignedInt(in.getShort());
        List<Relation.Column> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            boolean key = (in.get() & 1) != 0;
            columns.add(new Relation.Column(key, string(in), in.getInt(), in.getInt()));
        }
        return new Relation(relationId, namespace, name, replicaIdentity, columns);
    }

    private static Insert insert(ByteBuffer in) {
        int relationId = in.getInt();
        expect(in, 'N', "Insert");
        return new Insert(relationId, tuple(in));
    }

    private static Update update(ByteBuffer in) {
        int relationId = in.getInt();
        char marker = (char) in.get();
        OldTuple old = null;
        if (marker == 'K' || marker == 'O') {
            old = new OldTuple(marker == 'O', tuple(in));
            marker = (char) in.get();
        }
        if (marker != 'N') {
            throw new PgOutputFormatException("Update: expected 'N' before the new tuple, got '" + marker + "'");
        }
        return new Update(relationId, old, tuple(in));
    }

    private static Delete delete(ByteBuffer in) {
        int relationId = in.getInt();
        char marker = (char) in.get();
        if (marker != 'K' && marker != 'O') {
            throw new PgOutputFormatException("Delete: expected 'K' or 'O', got '" + marker + "'");
        }
        return new Delete(relationId, new OldTuple(marker == 'O', tuple(in)));
    }

    private static Truncate truncate(ByteBuffer in) {
        int count = in.getInt();
        if (count < 0) {
            throw new PgOutputFormatException("Truncate: negative relation count " + count);
        }
        int options = in.get();
        List<Integer> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(in.getInt());
        }
        return new Truncate(ids, (options & 1) != 0, (options & 2) != 0);
    }

    private static LogicalDecodingMessage message(ByteBuffer in) {
        boolean transactional = (in.get() & 1) != 0;
        Lsn lsn = new Lsn(in.getLong());
        String prefix = string(in);
        return new LogicalDecodingMessage(transactional, lsn, prefix, bytes(in, in.getInt()));
    }

    private static TupleData tuple(ByteBuffer in) {
        int count = Short.toUnsignedInt(in.getShort());
        List<TupleValue> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            char kind = (char) in.get();
            values.add(switch (kind) {
                case 'n' -> TupleValue.NULL;
                case 'u' -> TupleValue.UNCHANGED_TOAST;
                case 't' -> new TupleValue.Text(new String(bytes(in, in.getInt()), StandardCharsets.UTF_8));
                case 'b' -> new TupleValue.Binary(bytes(in, in.getInt()));
                default -> throw new PgOutputFormatException("unknown tuple value kind '" + kind + "' in column " + i);
            });
        }
        return new TupleData(values);
    }

    private static void expect(ByteBuffer in, char expected, String message) {
        char got = (char) in.get();
        if (got != expected) {
            throw new PgOutputFormatException(message + ": expected '" + expected + "', got '" + got + "'");
        }
    }

    private static byte[] bytes(ByteBuffer in, int length) {
        if (length < 0 || length > in.remaining()) {
            throw new PgOutputFormatException("length " + length + " exceeds the " + in.remaining() + " bytes left");
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return bytes;
    }

    private static String string(ByteBuffer in) {
        int start = in.position();
        int end = start;
        while (true) {
            if (end >= in.limit()) {
                throw new PgOutputFormatException("unterminated string at byte " + start);
            }
            if (in.get(end) == 0) {
                break;
            }
            end++;
        }
        byte[] bytes = new byte[end - start];
        in.get(bytes);
        in.get();
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static long toUnixMicros(long postgresMicros) {
        return postgresMicros + POSTGRES_EPOCH_OFFSET_MICROS;
    }
}
