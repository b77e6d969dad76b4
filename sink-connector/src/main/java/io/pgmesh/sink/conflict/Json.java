package io.pgmesh.sink.conflict;

import java.util.Map;

/** Minimal JSON writing for the conflict log (string values only), without a JSON library. */
final class Json {

    private Json() {
    }

    static String object(Map<String, String> fields) {
        StringBuilder out = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, String> f : fields.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            string(out, f.getKey());
            out.append(':');
            if (f.getValue() == null) {
                out.append("null");
            } else {
                string(out, f.getValue());
            }
        }
        return out.append('}').toString();
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        out.append(String.format("\\u%04x", (int) ch));
                    } else {
                        out.append(ch);
                    }
                }
            }
        }
        out.append('"');
    }
}
