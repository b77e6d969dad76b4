package io.pgmesh.sink.ddl;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A replicated DDL statement as the sink can run it: inside its apply transaction. The forms that
 * PostgreSQL refuses in a transaction block and that have a blocking equivalent ({@code CREATE
 * INDEX CONCURRENTLY}, {@code DROP INDEX CONCURRENTLY}, {@code REINDEX ... CONCURRENTLY},
 * {@code DETACH PARTITION ... CONCURRENTLY}) lose their {@code CONCURRENTLY}: on the peer they lock
 * the table while they run, as the origin's did not.
 */
public final class TransactionalDdl {

    private static final List<Pattern> CONCURRENTLY = List.of(
            Pattern.compile("^\\s*CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+(CONCURRENTLY)\\b", Pattern.CASE_INSENSITIVE),
            Pattern.compile("^\\s*DROP\\s+INDEX\\s+(CONCURRENTLY)\\b", Pattern.CASE_INSENSITIVE),
            Pattern.compile("^\\s*REINDEX\\s+(?:\\([^)]*\\)\\s*)?(?:INDEX|TABLE|SCHEMA|DATABASE|SYSTEM)\\s+(CONCURRENTLY)\\b",
                    Pattern.CASE_INSENSITIVE),
            Pattern.compile("^\\s*ALTER\\s+TABLE\\b.*\\bDETACH\\s+PARTITION\\s+\\S+\\s+(CONCURRENTLY)\\b",
                    Pattern.CASE_INSENSITIVE | Pattern.DOTALL));

    private TransactionalDdl() {
    }

    /** {@code sql} without a {@code CONCURRENTLY} that would keep it out of a transaction block. */
    public static String of(String sql) {
        String masked = mask(sql);
        for (Pattern pattern : CONCURRENTLY) {
            Matcher m = pattern.matcher(masked);
            if (m.find()) {
                return sql.substring(0, m.start(1)) + sql.substring(m.end(1));
            }
        }
        return sql;
    }

    /**
     * {@code sql} with the insides of quoted identifiers, string constants, dollar-quoted strings
     * and comments replaced by {@code x} (same length, so positions stay), so that keywords are
     * only found where they are keywords.
     */
    static String mask(String sql) {
        StringBuilder out = new StringBuilder(sql);
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char ch = sql.charAt(i);
            if (sql.startsWith("--", i)) {
                int end = sql.indexOf('\n', i);
                end = end < 0 ? n : end;
                fill(out, i, end);
                i = end;
            } else if (sql.startsWith("/*", i)) {
                int depth = 1;
                int j = i + 2;
                while (j < n && depth > 0) {
                    if (sql.startsWith("/*", j)) {
                        depth++;
                        j += 2;
                    } else if (sql.startsWith("*/", j)) {
                        depth--;
                        j += 2;
                    } else {
                        j++;
                    }
                }
                fill(out, i, j);
                i = j;
            } else if (ch == '\'' || ch == '"') {
                int j = i + 1;
                while (j < n) {
                    if (sql.charAt(j) == ch) {
                        if (j + 1 < n && sql.charAt(j + 1) == ch) {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j++;
                }
                fill(out, i + 1, Math.min(j, n));
                i = j + 1;
            } else if (ch == '$' && (i == 0 || !Character.isLetterOrDigit(sql.charAt(i - 1)) && sql.charAt(i - 1) != '_')) {
                Matcher tag = DOLLAR_TAG.matcher(sql).region(i, n);
                if (tag.lookingAt()) {
                    int close = sql.indexOf(tag.group(), tag.end());
                    int end = close < 0 ? n : close + tag.group().length();
                    fill(out, i, end);
                    i = end;
                } else {
                    i++;
                }
            } else {
                i++;
            }
        }
        return out.toString();
    }

    private static final Pattern DOLLAR_TAG = Pattern.compile("\\$(?:[A-Za-z_][A-Za-z_0-9]*)?\\$");

    private static void fill(StringBuilder out, int from, int to) {
        for (int k = from; k < to; k++) {
            out.setCharAt(k, 'x');
        }
    }
}
