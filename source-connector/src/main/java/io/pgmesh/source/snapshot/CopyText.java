package io.pgmesh.source.snapshot;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one row of PostgreSQL's COPY text format: fields separated by tabs, {@code \N} for NULL,
 * backslash escapes ({@code \b \f \n \r \t \v \\}, octal {@code \ooo}, hex {@code \xhh}, and a
 * backslash before any other character standing for that character). The field texts are the
 * types' output functions' texts, exactly what pgoutput sends for a change.
 */
public final class CopyText {

    private CopyText() {
    }

    /** The fields of {@code row} (UTF-8, with or without its trailing newline); null for NULL. */
    public static List<String> fields(byte[] row) {
        int end = row.length;
        if (end > 0 && row[end - 1] == '\n') {
            end--;
        }
        List<String> fields = new ArrayList<>();
        ByteArrayOutputStream field = new ByteArrayOutputStream();
        boolean isNull = false;
        int i = 0;
        while (i <= end) {
            if (i == end || row[i] == '\t') {
                fields.add(isNull ? null : field.toString(StandardCharsets.UTF_8));
                field.reset();
                isNull = false;
                i++;
                continue;
            }
            byte b = row[i];
            if (b != '\\') {
                field.write(b);
                i++;
                continue;
            }
            if (i + 1 >= end) {
                throw new IllegalArgumentException("COPY row ends in a lone backslash");
            }
            byte next = row[i + 1];
            i += 2;
            switch (next) {
                case 'N' -> {
                    if (field.size() != 0 || (i < end && row[i] != '\t')) {
                        throw new IllegalArgumentException("\\N inside a COPY field");
                    }
                    isNull = true;
                }
                case 'b' -> field.write('\b');
                case 'f' -> field.write('\f');
                case 'n' -> field.write('\n');
                case 'r' -> field.write('\r');
                case 't' -> field.write('\t');
                case 'v' -> field.write(0x0B);
                case 'x' -> {
                    int value = 0;
                    int digits = 0;
                    while (digits < 2 && i < end && Character.digit(row[i], 16) >= 0) {
                        value = value * 16 + Character.digit(row[i], 16);
                        i++;
                        digits++;
                    }
                    if (digits == 0) {
                        field.write('x');
                    } else {
                        field.write(value);
                    }
                }
                default -> {
                    if (next >= '0' && next <= '7') {
                        int value = next - '0';
                        int digits = 1;
                        while (digits < 3 && i < end && row[i] >= '0' && row[i] <= '7') {
                            value = value * 8 + (row[i] - '0');
                            i++;
                            digits++;
                        }
                        field.write(value);
                    } else {
                        field.write(next);
                    }
                }
            }
        }
        return fields;
    }
}
