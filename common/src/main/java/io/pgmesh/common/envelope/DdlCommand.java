package io.pgmesh.common.envelope;

import io.pgmesh.common.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import org.apache.kafka.connect.errors.DataException;

/**
 * A replicated DDL statement: the content of a {@link LogicalMessage#DDL_PREFIX} message, written
 * by {@code pgmesh.emit_ddl} as JSON {@code {"sql", "search_path", "role", "sets"}}.
 *
 * @param sql        the statement as the origin's session sent it
 * @param searchPath the origin session's {@code search_path} when it ran
 * @param role       the role that ran it on the origin
 * @param sets       the replication sets it is replicated in ({@code ddl_sql} unless
 *                   {@code pgmesh.replicate_ddl} named others)
 */
public record DdlCommand(String sql, String searchPath, String role, SortedSet<String> sets) {

    public DdlCommand {
        Objects.requireNonNull(sql, "sql");
        Objects.requireNonNull(searchPath, "searchPath");
        Objects.requireNonNull(role, "role");
        sets = new TreeSet<>(sets);
    }

    /** @throws DataException when {@code content} is not a DDL message pgmesh wrote */
    public static DdlCommand parse(byte[] content) {
        Object parsed;
        try {
            parsed = Json.parse(new String(content, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new DataException("pgmesh.ddl message is not JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> fields)) {
            throw new DataException("pgmesh.ddl message is not a JSON object");
        }
        SortedSet<String> sets = new TreeSet<>();
        if (!(fields.get("sets") instanceof List<?> list)) {
            throw new DataException("pgmesh.ddl message has no \"sets\" array");
        }
        for (Object set : list) {
            if (!(set instanceof String s)) {
                throw new DataException("pgmesh.ddl message has a set that is not a string: " + set);
            }
            sets.add(s);
        }
        return new DdlCommand(text(fields, "sql"), text(fields, "search_path"), text(fields, "role"), sets);
    }

    private static String text(Map<?, ?> fields, String name) {
        if (!(fields.get(name) instanceof String s)) {
            throw new DataException("pgmesh.ddl message has no string \"" + name + "\"");
        }
        return s;
    }

    /** The message content, as {@code pgmesh.emit_ddl} writes it. */
    public byte[] toContent() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("sql", sql);
        fields.put("search_path", searchPath);
        fields.put("role", role);
        fields.put("sets", List.copyOf(sets));
        return Json.write(fields).getBytes(StandardCharsets.UTF_8);
    }
}
