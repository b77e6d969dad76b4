package io.pgmesh.common.config;

import io.pgmesh.common.NodeName;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** ConfigDef validators with messages that say what a valid value looks like. */
public final class Validators {

    public static final ConfigDef.Validator NODE_NAME = matching(NodeName.PATTERN,
            "1 to 32 characters of lower-case letters, digits and '_'");

    /** A replication set's name; its publication is {@code pgmesh_<name>}, within PostgreSQL's 63 bytes. */
    public static final Pattern SET_NAME = Pattern.compile("[a-z0-9_]{1,56}");

    public static final ConfigDef.Validator REPLICATION_SETS = nonEmptyListOf(SET_NAME, "1 to 56 characters of [a-z0-9_]");

    /** Replication sets, or none at all (meaning every set). */
    public static final ConfigDef.Validator REPLICATION_SETS_OR_ALL = ConfigDef.LambdaValidator.with((name, value) -> {
        for (Object element : elements(value)) {
            if (!SET_NAME.matcher(element.toString()).matches()) {
                throw new ConfigException(name, value, "'" + element + "' must be 1 to 56 characters of [a-z0-9_]");
            }
        }
    }, () -> "empty (every set), or a list of 1 to 56 characters of [a-z0-9_]");

    public static final ConfigDef.Validator TOPIC_PREFIX = matching(Pattern.compile("[a-zA-Z0-9._-]{1,200}"),
            "1 to 200 characters of [a-zA-Z0-9._-]");

    public static final ConfigDef.Validator NO_EMPTY_ELEMENTS = ConfigDef.LambdaValidator.with((name, value) -> {
        for (Object element : elements(value)) {
            if (element.toString().isBlank()) {
                throw new ConfigException(name, value, "list elements must not be empty");
            }
        }
    }, () -> "list of non-empty strings");

    private Validators() {
    }

    /**
     * A list value's elements; none for null, which ConfigDef passes on when the value is missing
     * or could not be parsed (it reports that itself).
     */
    private static List<?> elements(Object value) {
        return value == null ? List.of() : (List<?>) value;
    }

    /** A value matching {@code pattern}; a missing value is left to ConfigDef's own "missing required" error. */
    public static ConfigDef.Validator matching(Pattern pattern, String description) {
        return ConfigDef.LambdaValidator.with((name, value) -> {
            if (value != null && !pattern.matcher(value.toString()).matches()) {
                throw new ConfigException(name, value, "must be " + description);
            }
        }, () -> description);
    }

    public static ConfigDef.Validator emptyOr(Pattern pattern, String description) {
        return ConfigDef.LambdaValidator.with((name, value) -> {
            if (value != null && !value.toString().isEmpty() && !pattern.matcher(value.toString()).matches()) {
                throw new ConfigException(name, value, "must be empty or " + description);
            }
        }, () -> "empty or " + description);
    }

    public static ConfigDef.Validator nonEmptyListOf(Pattern pattern, String description) {
        return ConfigDef.LambdaValidator.with((name, value) -> {
            List<?> list = (List<?>) value;
            if (list == null || list.isEmpty()) {
                throw new ConfigException(name, value, "must name at least one element");
            }
            for (Object element : list) {
                if (!pattern.matcher(element.toString()).matches()) {
                    throw new ConfigException(name, value, "'" + element + "' must be " + description);
                }
            }
        }, () -> "non-empty list of " + description);
    }

    /** A list, perhaps empty, whose every element matches {@code pattern}. */
    public static ConfigDef.Validator listOf(Pattern pattern, String description) {
        return ConfigDef.LambdaValidator.with((name, value) -> {
            List<?> list = (List<?>) value;
            for (Object element : list == null ? List.of() : list) {
                if (!pattern.matcher(element.toString()).matches()) {
                    throw new ConfigException(name, value, "'" + element + "' must be " + description);
                }
            }
        }, () -> "list of " + description);
    }

    public static <E extends Enum<E>> ConfigDef.Validator enumValue(Class<E> type) {
        String[] names = Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);
        return ConfigDef.ValidString.in(names);
    }
}
