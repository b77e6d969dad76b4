package io.pgmesh.sink.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of one statement of a {@link StatementPipeline}, in the order of its {@code ?},
 * written as SQL literals for {@code EXECUTE}: text as a dollar-quoted string (whose tag does not
 * occur in the value, so no value needs escaping and {@code standard_conforming_strings} does not
 * matter), whole numbers as digits, NULL as NULL. The kinds also give the prepared statement's
 * parameter types (text, int8, bool): each statement casts a text parameter to its column's type.
 */
public final class Arguments {

    /** A parameter's declared type in the prepared statement. */
    enum Kind {
        TEXT("text"), NUMBER("int8"), BOOL("bool");

        final String type;

        Kind(String type) {
            this.type = type;
        }
    }

    private final StringBuilder literals = new StringBuilder();
    private final List<Kind> kinds = new ArrayList<>();

    /** A text argument; null for NULL. */
    public Arguments text(String value) {
        separate();
        if (value == null) {
            literals.append("NULL");
        } else {
            String tag = tagFor(value);
            literals.append(tag).append(value).append(tag);
        }
        kinds.add(Kind.TEXT);
        return this;
    }

    public Arguments number(long value) {
        separate();
        literals.append(value);
        kinds.add(Kind.NUMBER);
        return this;
    }

    public Arguments bool(boolean value) {
        separate();
        literals.append(value ? "true" : "false");
        kinds.add(Kind.BOOL);
        return this;
    }

    int size() {
        return kinds.size();
    }

    List<Kind> kinds() {
        return kinds;
    }

    /** The literals, separated by commas. */
    String literals() {
        return literals.toString();
    }

    /** The length of {@link #literals()}, without building it. */
    int length() {
        return literals.length();
    }

    private void separate() {
        if (!kinds.isEmpty()) {
            literals.append(", ");
        }
    }

    /**
     * {@code $a$}, or {@code $a1$}, {@code $a2$}, ...: the first tag whose first occurrence in the
     * value followed by the tag is the closing one (so the value neither holds it nor ends in a
     * prefix of it that would close the string early).
     */
    static String tagFor(String value) {
        String tag = "$a$";
        for (int n = 1; (value + tag).indexOf(tag) != value.length(); n++) {
            tag = "$a" + n + "$";
        }
        return tag;
    }
}
