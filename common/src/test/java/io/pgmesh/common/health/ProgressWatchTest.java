package io.pgmesh.common.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProgressWatchTest {

    private final ProgressWatch watch = new ProgressWatch(60_000);

    @Test
    void workWithoutProgressForTheTimeoutIsAStallSinceItsStart() {
        assertTrue(watch.observe(0, true, 10L, () -> "x").isEmpty());
        assertTrue(watch.observe(30_000, true, 10L, () -> "x").isEmpty());
        assertTrue(watch.observe(59_999, true, 10L, () -> "x").isEmpty());
        Optional<ProgressWatch.Stalled> stalled = watch.observe(60_000, true, 10L, () -> "the broker");
        assertEquals(Optional.of(new ProgressWatch.Stalled(0, "the broker")), stalled);
        assertEquals(Optional.of(new ProgressWatch.Stalled(0, "the broker")), watch.observe(90_000, true, 10L, () -> "the broker"));
    }

    @Test
    void progressOrNoWorkEndsIt() {
        watch.observe(0, true, 10L, () -> "x");
        assertTrue(watch.observe(70_000, true, 10L, () -> "x").isPresent());
        assertTrue(watch.observe(80_000, true, 11L, () -> "x").isEmpty(), "it moved");
        assertTrue(watch.observe(139_999, true, 11L, () -> "x").isEmpty(), "the timeout counts from the move");
        assertTrue(watch.observe(140_000, true, 11L, () -> "x").isPresent());
        assertTrue(watch.observe(150_000, false, 11L, () -> "x").isEmpty(), "nothing to do is no stall");
        assertTrue(watch.observe(160_000, true, 11L, () -> "x").isEmpty(), "work again: counts from now");
        assertTrue(watch.observe(220_000, true, 11L, () -> "x").isPresent());
    }

    @Test
    void waitingForIsAskedOnlyOnAStall() {
        watch.observe(0, true, 1L, () -> {
            throw new AssertionError("asked without a stall");
        });
    }
}
