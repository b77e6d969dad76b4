package io.pgmesh.source.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CopyTextTest {

    private static List<String> fields(String row) {
        return CopyText.fields(row.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void splitsOnTabsAndReadsNulls() {
        assertEquals(Arrays.asList("1", null, "", "x"), fields("1\t\\N\t\tx\n"));
        assertEquals(Arrays.asList("only"), fields("only"));
        assertEquals(Arrays.asList("", ""), fields("\t"));
    }

    @Test
    void undoesEveryEscape() {
        assertEquals(List.of("a\tb", "line\nnext\r", "back\\slash", "\b\f\u000B"),
                fields("a\\tb\tline\\nnext\\r\tback\\\\slash\t\\b\\f\\v\n"));
        assertEquals(List.of("A", "A", "é", "q"), fields("\\101\t\\x41\t\\303\\251\t\\q"));
        assertEquals(List.of("\\x00ff"), fields("\\\\x00ff"));
    }

    @Test
    void keepsMultiByteText() {
        assertEquals(List.of("日本語", "ünïcödé"), fields("日本語\tünïcödé\n"));
    }

    @Test
    void refusesMalformedRows() {
        assertThrows(IllegalArgumentException.class, () -> fields("x\\"));
        assertThrows(IllegalArgumentException.class, () -> fields("a\\Nb"));
    }
}
