package io.pgmesh.source.capture;

import io.pgmesh.common.Lsn;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Tracks which records Kafka has acknowledged, to tell how far the slot may be confirmed: up to the
 * confirm LSN of the latest record such that it and every record handed out before it are
 * acknowledged. Acknowledgements may arrive out of order; the slot never moves past a gap.
 *
 * @param <R> the record type; records are matched by identity, as Connect hands back the very
 *            record object poll() returned
 */
public final class AcknowledgedPosition<R> {

    private static final class Entry {
        final Lsn confirmLsn;
        boolean acknowledged;

        Entry(Lsn confirmLsn) {
            this.confirmLsn = confirmLsn;
        }
    }

    private final Deque<Entry> inOrder = new ArrayDeque<>();
    private final Map<R, Entry> byRecord = new IdentityHashMap<>();
    private Lsn confirmable = Lsn.INVALID;

    /** A record handed to Connect, in stream order, with the LSN it allows to confirm (or null). */
    public synchronized void submitted(R record, Lsn confirmLsn) {
        Entry entry = new Entry(confirmLsn);
        inOrder.addLast(entry);
        byRecord.put(record, entry);
    }

    /** Kafka has the record (or Connect dropped it on purpose: a filter, errors.tolerance). */
    public synchronized void acknowledged(R record) {
        Entry entry = byRecord.remove(record);
        if (entry == null) {
            return;
        }
        entry.acknowledged = true;
        while (!inOrder.isEmpty() && inOrder.peekFirst().acknowledged) {
            Entry done = inOrder.removeFirst();
            if (done.confirmLsn != null) {
                confirmable = Lsn.max(confirmable, done.confirmLsn);
            }
        }
    }

    /** The LSN the slot may be confirmed to; {@link Lsn#INVALID} before anything is acknowledged. */
    public synchronized Lsn confirmable() {
        return confirmable;
    }

    public synchronized int inFlight() {
        return inOrder.size();
    }
}
