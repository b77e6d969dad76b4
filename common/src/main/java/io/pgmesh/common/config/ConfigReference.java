package io.pgmesh.common.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Renders a connector's {@link ConfigDef} as the Markdown configuration reference in {@code docs/},
 * so the documentation is generated from the code and a test can tell when it drifts.
 */
public final class ConfigReference {

    private ConfigReference() {
    }

    /** The reference page: a title, an introduction, then one table per group in definition order. */
    public static String markdown(String title, String introduction, ConfigDef def) {
        StringBuilder out = new StringBuilder();
        out.append("# ").append(title).append("\n\n");
        out.append("<!-- Generated from the connector's ConfigDef; do not edit by hand. See docs/README.md. -->\n\n");
        out.append(introduction.strip()).append("\n");
        for (Map.Entry<String, List<ConfigDef.ConfigKey>> group : byGroup(def).entrySet()) {
            out.append("\n## ").append(group.getKey()).append("\n\n");
            out.append("| Key | Type | Default | Valid values | Importance | Description |\n");
            out.append("|---|---|---|---|---|---|\n");
            for (ConfigDef.ConfigKey key : group.getValue()) {
                out.append("| `").append(key.name).append("` | ")
                        .append(key.type.name().toLowerCase(java.util.Locale.ROOT)).append(" | ")
                        .append(defaultOf(key)).append(" | ")
                        .append(key.validator == null ? "" : cell(key.validator.toString())).append(" | ")
                        .append(key.importance.name().toLowerCase(java.util.Locale.ROOT)).append(" | ")
                        .append(cell(key.documentation)).append(" |\n");
            }
        }
        return out.toString();
    }

    private static Map<String, List<ConfigDef.ConfigKey>> byGroup(ConfigDef def) {
        Map<String, List<ConfigDef.ConfigKey>> groups = new LinkedHashMap<>();
        for (ConfigDef.ConfigKey key : def.configKeys().values()) {
            groups.computeIfAbsent(key.group == null ? "Other" : key.group, g -> new ArrayList<>()).add(key);
        }
        groups.values().forEach(keys -> keys.sort((a, b) -> Integer.compare(a.orderInGroup, b.orderInGroup)));
        return groups;
    }

    private static String defaultOf(ConfigDef.ConfigKey key) {
        if (!key.hasDefault()) {
            return "*required*";
        }
        if (key.type == ConfigDef.Type.PASSWORD) {
            return "*empty*";
        }
        Object value = key.defaultValue;
        String text = value instanceof List<?> list ? String.join(",", list.stream().map(String::valueOf).toList())
                : String.valueOf(value);
        return text.isEmpty() ? "*empty*" : "`" + text + "`";
    }

    private static String cell(String text) {
        return text == null ? "" : text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;");
    }
}
