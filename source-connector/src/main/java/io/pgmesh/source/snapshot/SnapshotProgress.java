package io.pgmesh.source.snapshot;

import java.util.concurrent.TimeUnit;

/**
 * How far the current (or last) snapshot of a node got, for metrics and logs: written by the
 * snapshot's thread, read by any. A snapshot that fails part-way is left as it stopped, not
 * running; the next one starts the counts again.
 */
public final class SnapshotProgress {

    private volatile boolean running;
    private volatile boolean completed;
    private volatile int tablesTotal;
    private volatile int tablesCopied;
    private volatile long rowsCopied;
    private volatile long startedNanos;
    private volatile long endedNanos;

    void started(int tables) {
        tablesTotal = tables;
        tablesCopied = 0;
        rowsCopied = 0;
        completed = false;
        startedNanos = System.nanoTime();
        endedNanos = 0;
        running = true;
    }

    void rowCopied() {
        rowsCopied++;
    }

    void tableCopied() {
        tablesCopied++;
    }

    void finished() {
        completed = true;
        stopped();
    }

    void stopped() {
        if (running) {
            endedNanos = System.nanoTime();
            running = false;
        }
    }

    public boolean running() {
        return running;
    }

    /** Whether the last snapshot copied every table (false while one runs, or if it failed). */
    public boolean completed() {
        return completed;
    }

    public int tablesTotal() {
        return tablesTotal;
    }

    public int tablesCopied() {
        return tablesCopied;
    }

    public long rowsCopied() {
        return rowsCopied;
    }

    /** How long the current snapshot has run, or the last one ran; 0 before the first. */
    public long elapsedMillis() {
        long start = startedNanos;
        if (start == 0) {
            return 0;
        }
        long end = running ? System.nanoTime() : endedNanos;
        return TimeUnit.NANOSECONDS.toMillis(end - start);
    }
}
