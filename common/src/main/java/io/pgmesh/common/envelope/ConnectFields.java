package io.pgmesh.common.envelope;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

/**
 * Reads envelope fields from either form a converter may hand over: a {@link Struct} (converters
 * with schemas: JSON with schemas, Avro) or a {@link Map} (schemaless JSON).
 */
final class ConnectFields {

    private ConnectFields() {
    }

    static Object get(Object container, String field) {
        if (container instanceof Struct struct) {
            return struct.schema().field(field) == null ? null : struct.get(field);
        }
        if (container instanceof Map<?, ?> map) {
            return map.get(field);
        }
        throw new DataException("not a pgmesh envelope: expected a struct or a map, got "
                + (container == null ? "null" : container.getClass().getName()));
    }

    static String string(Object container, String field) {
        Object value = get(container, field);
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw new DataException("pgmesh envelope field '" + field + "' is not a string");
    }

    static String requiredString(Object container, String field) {
        String value = string(container, field);
        if (value == null) {
            throw new DataException("pgmesh envelope field '" + field + "' is missing");
        }
        return value;
    }

    static boolean bool(Object container, String field) {
        Object value = get(container, field);
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        throw new DataException("pgmesh envelope field '" + field + "' is not a boolean");
    }

    static List<?> list(Object container, String field) {
        Object value = get(container, field);
        if (value == null || value instanceof List<?>) {
            return (List<?>) value;
        }
        throw new DataException("pgmesh envelope field '" + field + "' is not an array");
    }

    /** Bytes arrive as byte[] or ByteBuffer with schemas, as a base64 string from schemaless JSON. */
    static byte[] bytes(Object container, String field) {
        Object value = get(container, field);
        if (value == null) {
            return null;
        }
        if (value instanceof byte[] b) {
            return b;
        }
        if (value instanceof ByteBuffer buffer) {
            byte[] copy = new byte[buffer.remaining()];
            buffer.duplicate().get(copy);
            return copy;
        }
        if (value instanceof String base64) {
            try {
                return Base64.getDecoder().decode(base64);
            } catch (IllegalArgumentException e) {
                throw new DataException("pgmesh envelope field '" + field + "' is not base64", e);
            }
        }
        throw new DataException("pgmesh envelope field '" + field + "' is not bytes");
    }
}
