package io.pgmesh.common.health;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Tells a stall from a pause: a connector stalls when it has work (records behind, or changes its
 * slot has not confirmed) and its progress (a position) has not moved for longer than the
 * timeout. Fed one observation per look; pure, not thread-safe.
 */
public final class ProgressWatch {

    /** A stall: since when nothing moved although there was work, and what it waits for. */
    public record Stalled(long sinceMs, String waitingFor) {
    }

    private final long timeoutMs;
    private Object lastProgress;
    /** Since when there has been work without progress, or -1. */
    private long stuckSinceMs = -1;

    public ProgressWatch(long timeoutMs) {
        if (timeoutMs <= 0) {
            throw new IllegalArgumentException("a stall timeout must be positive");
        }
        this.timeoutMs = timeoutMs;
    }

    /**
     * One look at {@code nowMs}.
     *
     * @param hasWork    whether there is something to do
     * @param progress   where the connector stands (any value with equals); a change is progress
     * @param waitingFor what it waits for, asked only when it stalls
     * @return the stall, when there is one
     */
    public Optional<Stalled> observe(long nowMs, boolean hasWork, Object progress, Supplier<String> waitingFor) {
        boolean moved = !Objects.equals(progress, lastProgress);
        lastProgress = progress;
        if (!hasWork || moved) {
            stuckSinceMs = hasWork ? nowMs : -1;
            return Optional.empty();
        }
        if (stuckSinceMs < 0) {
            stuckSinceMs = nowMs;
        }
        return nowMs - stuckSinceMs >= timeoutMs ? Optional.of(new Stalled(stuckSinceMs, waitingFor.get()))
                : Optional.empty();
    }
}
