package dev.jkvm.sched;

import java.util.PriorityQueue;

/**
 * Puts records from many rings into one kernel-time order. Rings are drained one after another, so
 * a record is only known to be complete up to a horizon the caller gives (the time the drain began,
 * less a margin for records still being written). Items at or before the horizon are released in
 * time order (ties in arrival order); later ones wait. An item that arrives older than one already
 * released is <em>late</em>: it is handed out at once, marked, and counted, never mixed into the
 * ordered stream. Pure; single-threaded.
 */
final class TimeOrderer<T> {
    /** Where released items go. */
    interface Sink<T> {
        void inOrder(long time, T item);

        /** {@code behind}: how far before the newest released item this one lies. */
        void late(long time, T item, long behind);
    }

    private record Entry<T>(long time, long sequence, T item) {}

    private final PriorityQueue<Entry<?>> pending = new PriorityQueue<>((a, b) -> a.time != b.time
            ? Long.compare(a.time, b.time) : Long.compare(a.sequence, b.sequence));
    private final Sink<T> sink;
    private long sequence;
    private long lastReleased = Long.MIN_VALUE;
    private long late;

    TimeOrderer(Sink<T> sink) {
        this.sink = sink;
    }

    void add(long time, T item) {
        if (time < lastReleased) {
            late++;
            sink.late(time, item, lastReleased - time);
            return;
        }
        pending.add(new Entry<>(time, sequence++, item));
    }

    /** Releases, in time order, everything at or before {@code horizon}. */
    @SuppressWarnings("unchecked")
    void release(long horizon) {
        while (!pending.isEmpty() && pending.peek().time <= horizon) {
            Entry<T> e = (Entry<T>) pending.poll();
            lastReleased = e.time;
            sink.inOrder(e.time, e.item);
        }
    }

    /** Releases everything still waiting (the final drain). */
    void releaseAll() {
        release(Long.MAX_VALUE);
    }

    int waiting() {
        return pending.size();
    }

    /** Items that arrived after a later one had been released. */
    long lateCount() {
        return late;
    }
}
