package io.pgmesh.sink.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArgumentsTest {

    @Test
    void literalsAreDollarQuotedWithATagTheValueCannotClose() {
        assertEquals("$a$it's \\ ; ? $a$", new Arguments().text("it's \\ ; ? ").literals());
        assertEquals("$a1$x$a$y$a1$", new Arguments().text("x$a$y").literals());
        // a value ending in a prefix of the tag would close the string early
        assertEquals("$a1$v$a$a1$", new Arguments().text("v$a").literals());
        assertEquals("$a$v$$a$", new Arguments().text("v$").literals());
        assertEquals("$a2$$a$$a1$$a2$", new Arguments().text("$a$$a1$").literals());
    }

    @Test
    void everyTagChosenClosesExactlyAtTheValuesEnd() {
        String[] values = {"", "$", "$$", "$a", "$a$", "a$", "$a1", "$a1$$a$", "x$a2", "$a$a$a$", "$a9$a"};
        for (String v : values) {
            String tag = Arguments.tagFor(v);
            assertEquals(v.length(), (v + tag).indexOf(tag), v);
        }
    }

    @Test
    void kindsAndSeparators() {
        Arguments a = new Arguments().text(null).number(-42).bool(true).text("x");
        assertEquals("NULL, -42, true, $a$x$a$", a.literals());
        assertEquals(List.of(Arguments.Kind.TEXT, Arguments.Kind.NUMBER, Arguments.Kind.BOOL, Arguments.Kind.TEXT),
                a.kinds());
        assertEquals(4, a.size());
    }

    @Test
    void placeholdersAreNumberedOutsideQuotesOnly() {
        assertEquals("SELECT $1, '?', \"a?b\", 'it''s ?', $2::text, '\\_?' || $3",
                PreparedShapes.numbered("SELECT ?, '?', \"a?b\", 'it''s ?', ?::text, '\\_?' || ?"));
    }
}
