package io.pgmesh.source.decode;

import java.util.Arrays;

/** One column value of a {@link TupleData}. */
public sealed interface TupleValue {

    /** SQL NULL. */
    record Null() implements TupleValue {
    }

    /** An unchanged TOASTed value the server did not send: the stored value stays. */
    record UnchangedToast() implements TupleValue {
    }

    /** A value in PostgreSQL's text representation. */
    record Text(String text) implements TupleValue {
    }

    /** A value in binary format (only when the {@code binary} option is on, which pgmesh never sets). */
    record Binary(byte[] bytes) implements TupleValue {
        public Binary {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Binary b && Arrays.equals(bytes, b.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Binary[" + bytes.length + " bytes]";
        }
    }

    Null NULL = new Null();
    UnchangedToast UNCHANGED_TOAST = new UnchangedToast();
}
