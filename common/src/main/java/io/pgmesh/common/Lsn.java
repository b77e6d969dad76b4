package io.pgmesh.common;

import java.util.Locale;

/**
 * A PostgreSQL write-ahead log position (pg_lsn). Compares unsigned, prints as PostgreSQL does
 * ({@code 16/B374D848}).
 */
public record Lsn(long value) implements Comparable<Lsn> {

    /** PostgreSQL's InvalidXLogRecPtr: no position. */
    public static final Lsn INVALID = new Lsn(0L);

    /** Parses PostgreSQL's text form {@code X/Y} (hexadecimal halves). */
    public static Lsn parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("LSN text is null");
        }
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1 || slash != text.lastIndexOf('/')) {
            throw new IllegalArgumentException("not an LSN (expected X/Y in hexadecimal): '" + text + "'");
        }
        try {
            long high = Long.parseUnsignedLong(text.substring(0, slash), 16);
            long low = Long.parseUnsignedLong(text.substring(slash + 1), 16);
            if (high > 0xFFFF_FFFFL || low > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("LSN halves must fit in 32 bits: '" + text + "'");
            }
            return new Lsn(high << 32 | low);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an LSN (expected X/Y in hexadecimal): '" + text + "'", e);
        }
    }

    public boolean isValid() {
        return value != 0L;
    }

    public boolean isAfter(Lsn other) {
        return compareTo(other) > 0;
    }

    public boolean isBefore(Lsn other) {
        return compareTo(other) < 0;
    }

    public static Lsn max(Lsn a, Lsn b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%X/%X", value >>> 32, value & 0xFFFF_FFFFL);
    }
}
