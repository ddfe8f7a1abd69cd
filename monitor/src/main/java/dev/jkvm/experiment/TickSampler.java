package dev.jkvm.experiment;

import dev.jkvm.util.HelperFailures;
import dev.jkvm.guest.GuestManifest;
import dev.jkvm.jfr.WakeupLatency;
import dev.jkvm.kvm.GuestMemory;
import dev.jkvm.util.Durations;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the tick rings of timer guests (tick, duty) while they run, and at the end writes one
 * {@link WakeupLatency} event per tick and prints per VM the ticks received and missed and the
 * latency's p50/p99/max. Each event lies on the vCPU's own thread from the timer expiry to the tick's
 * handler, in host time: the guest's TSC is mapped to CLOCK_MONOTONIC from what the polls saw (a tick
 * read at a poll ran before it), which is known only at the end, so the ticks are kept until then.
 * (Committed as they were read, the events sat at the poll, on this sampler's thread: up to 19 ticks in
 * one millisecond, 75 ms off.) Memory is bounded: {@link #KEPT_BUDGET} ticks in all, the latencies in a
 * fixed histogram, the clock samples thinned.
 *
 * <p>Ring layout (guests/src/lapic-timer-64.s, guests/README.md): u64 magic "TICKRING", hz,
 * capacity, ticks, period (APIC counts, 1 ns each), latest_tsc, work, duty; then 16-byte entries
 * {tsc at the handler, APIC counts since the latest expiry} from +0x40.
 */
final class TickSampler implements AutoCloseable {
    static final long MAGIC = 0x474e49524b434954L; // "TICKRING" read as a little-endian u64
    private static final int MAX_CAPACITY = 1 << 20;
    /** Entries read per ring and poll: a 1000 Hz guest writes 10 per poll; a guest claiming more only loses ticks. */
    static final long READ_PER_POLL = 4096;
    /**
     * Ticks kept for their WakeupLatency events over all rings until the end: 48 bytes each, so at
     * most 24 MiB (one ring: 8¾ minutes of a 1000 Hz guest). A guest that claims ticks without end
     * must not fill the memory or the disk; past it, ticks are still counted and go into the latency
     * histogram.
     */
    static final int KEPT_BUDGET = 1 << 19;
    /** Longs per kept tick: sequence, guest TSC, latency, since the latest expiry, missed ticks, period. */
    private static final int TICK_LONGS = 6;
    /** Histogram: 1 µs buckets up to 20 ms; longer latencies share the last bucket (the max is kept exactly). */
    private static final int BUCKETS = 20_000;

    /** One guest's ring and what has been read of it. */
    private static final class Ring {
        final String vm;
        /** The thread of the vCPU taking the ticks (vCPU 0), whose lane the events lie on; null before the threads exist. */
        final dev.jkvm.jfr.timeline.TimelineThread thread;
        final GuestMemory memory;
        final long base;
        final double nanosPerCycle;
        /** Ticks kept for their events (none without a recording). */
        KeptEntries kept;
        /** (host time after a poll read the tick count, the newest tick's TSC) pairs: each tick ran before its poll. */
        final ClockSamples clock = new ClockSamples();
        long read;
        long overwritten;
        long prevTsc = -1;
        long prevSince;
        long missed;
        long max;
        long skipped; // entries not read: more than READ_PER_POLL at once
        /** The period the guest programmed when KVM raised it to its minimum (-1: not raised). */
        long raisedFrom = -1;
        long badHeaders;
        String problem;
        String failure;
        final long[] histogram = new long[BUCKETS];

        Ring(String vm, dev.jkvm.jfr.timeline.TimelineThread thread, GuestMemory memory, long base, long tscHz) {
            this.vm = vm;
            this.thread = thread;
            this.memory = memory;
            this.base = base;
            this.nanosPerCycle = 1e9 / tscHz;
        }

        long received() {
            long n = 0;
            for (long c : histogram) n += c;
            return n;
        }

        long quantile(double q) {
            long total = received();
            if (total == 0) return -1;
            long rank = (long) Math.ceil(q * total);
            long seen = 0;
            for (int i = 0; i < BUCKETS; i++) {
                seen += histogram[i];
                if (seen >= rank) return i == BUCKETS - 1 ? max : Math.min((i + 1) * 1000L, max); // bucket's upper bound, at most the max
            }
            return max;
        }
    }

    /** One tick's wake-up as computed from two consecutive ring entries. */
    record Wakeup(long latencyNanos, long missedTicks) {}

    private final List<Ring> rings = new ArrayList<>();
    private final SamplerThread thread;
    private final HelperFailures failures;

    /**
     * KVM's shortest periodic LAPIC timer period (kvm.min_timer_period_us, 200 µs by default): a guest
     * that programs less gets this, as dmesg says ("lapic timer period limited"). Computed with the
     * programmed period, a 10 kHz tick had half its ticks "missed" and negative times since expiry.
     */
    private final long minTimerPeriodNanos = minTimerPeriodNanos();

    static long minTimerPeriodNanos() {
        try {
            return Long.parseLong(dev.jkvm.util.KernelFile.read(java.nio.file.Path.of("/sys/module/kvm/parameters/min_timer_period_us")).strip()) * 1000;
        } catch (java.io.IOException | RuntimeException e) {
            return 0; // not exposed: the programmed period is taken as it is
        }
    }

    /** {@code keepEvents}: whether the ticks are kept for a recording's events (no recording, no need). */
    TickSampler(List<VmInstance> vms, HelperFailures failures, boolean keepEvents) {
        this.failures = failures;
        for (VmInstance vm : vms) {
            GuestManifest m = vm.guest().manifest();
            if (m.tickRing().isPresent()) {
                rings.add(new Ring(vm.name(), vm.threads().isEmpty() ? null : vm.threads().get(0).timelineThread(), vm.memory(),
                        m.tickRing().getAsLong(), vm.tscHz()));
            }
        }
        for (Ring r : rings) r.kept = new KeptEntries(TICK_LONGS, keepEvents ? KEPT_BUDGET / rings.size() : 0);
        thread = new SamplerThread("tick-sampler", this::poll, this::pollingFailed);
    }

    void start() {
        if (!rings.isEmpty()) thread.start();
    }

    /**
     * The wake-up of a tick from the previous tick's entry. The timer expires on a fixed grid (KVM
     * advances a periodic LAPIC timer by exactly one period), so the expiry that was due to wake the
     * vCPU is the previous tick's expiry ({@code prevTsc} minus {@code prevSince}) plus one period;
     * the latency is the time from there to this handler. Expiries in between are ticks KVM
     * coalesced while one was pending: the latency beyond this tick's own {@code since} counted in
     * periods. The first tick ({@code prevTsc < 0}) has only its own {@code since}.
     */
    static Wakeup wakeup(long prevTsc, long prevSinceNanos, long tsc, long sinceNanos, long periodNanos, double nanosPerCycle) {
        if (prevTsc < 0) return new Wakeup(sinceNanos, 0);
        long latency = Math.round((tsc - prevTsc) * nanosPerCycle) + prevSinceNanos - periodNanos;
        long missed = Math.max(0, Math.round((double) (latency - sinceNanos) / periodNanos));
        return new Wakeup(latency, missed);
    }

    /** The sampler thread's end: the VMs go on, only their ticks are no longer read. */
    private void pollingFailed(Throwable t) {
        failures.failed("tick sampler", t, "wake-up latencies");
        synchronized (this) {
            for (Ring r : rings) if (r.failure == null) r.failure = "tick sampler failed: " + HelperFailures.reason(t);
        }
    }

    private synchronized void poll() {
        for (Ring r : rings) {
            if (r.failure != null) continue;
            try {
                poll(r);
            } catch (RuntimeException e) {
                r.failure = String.valueOf(e.getMessage());
            }
        }
    }

    /**
     * Reads what the guest added to one ring. Everything read from the guest is checked before it is
     * used: the header must describe a ring inside guest memory, and one poll reads at most
     * {@link #READ_PER_POLL} entries.
     */
    private void poll(Ring r) {
        if (r.memory.readLong(r.base) != MAGIC) return; // the guest has not set its ring up yet
        long capacity = r.memory.readLong(r.base + 16);
        long period = r.memory.readLong(r.base + 32);
        long written = r.memory.readLong(r.base + 24);
        long readAt = System.nanoTime(); // after the count: every tick it counts ran before this
        String bad = capacity <= 0 || capacity > MAX_CAPACITY ? "capacity " + capacity + " (1.." + MAX_CAPACITY + ")"
                : r.base + 0x40 + capacity * 16 > r.memory.size() ? "a ring of " + capacity + " entries at 0x" + Long.toHexString(r.base)
                        + " ends beyond guest memory"
                : period <= 0 ? "period " + period
                : written < r.read ? "tick count went back from " + r.read + " to " + written : null;
        if (bad != null) { // not a ring we can trust: read nothing this time
            r.badHeaders++;
            r.problem = bad;
            return;
        }
        // The period the timer really has; the guest's count since expiry was taken against the one it
        // programmed, so it is short by the difference.
        long raise = Math.max(0, minTimerPeriodNanos - period);
        if (raise > 0) r.raisedFrom = period;
        period += raise;
        {
            if (written - r.read > capacity) {
                r.overwritten += written - r.read - capacity;
                r.read = written - capacity;
                r.prevTsc = -1; // the previous entry is gone: the next one has no predecessor
            }
            if (written - r.read > READ_PER_POLL) {
                r.skipped += written - r.read - READ_PER_POLL;
                r.read = written - READ_PER_POLL;
                r.prevTsc = -1;
            }
            for (; r.read < written; r.read++) {
                long at = r.base + 0x40 + (r.read % capacity) * 16;
                long tsc = r.memory.readLong(at);
                long since = r.memory.readLong(at + 8) + raise;
                Wakeup w = wakeup(r.prevTsc, r.prevSince, tsc, since, period, r.nanosPerCycle);
                r.prevTsc = tsc;
                r.prevSince = since;
                r.missed += w.missedTicks();
                long latency = Math.max(0, w.latencyNanos());
                r.histogram[(int) Math.min(BUCKETS - 1, latency / 1000)]++;
                r.max = Math.max(r.max, latency);
                r.kept.add(r.read, tsc, w.latencyNanos(), since, w.missedTicks(), period);
                if (r.read + 1 == written) r.clock.add(new TscClock.Sample(readAt, 0, tsc));
            }
        }
    }

    /**
     * Reads what is left, prints per VM: ticks received and missed, wake-up latency p50/p99/max, and
     * writes the kept ticks' events into {@code timeline} (null: none). Joins the thread before taking
     * the lock: holding it, the join could wait for ever on a thread that is waiting for the lock to
     * poll once more. A failure here is reported, not thrown: the run's summaries come after it.
     */
    void finish(PrintWriter out, dev.jkvm.jfr.JkvmTimeline timeline) throws InterruptedException {
        thread.stopAndJoin();
        try {
            synchronized (this) {
                report(out);
                if (timeline != null) for (Ring r : rings) writeEvents(r, timeline);
            }
        } catch (Throwable t) {
            failures.failed("tick sampler", t, "tick summaries");
        }
    }

    /**
     * One event per kept tick, from the expiry that was due to wake the vCPU to the handler, on the
     * vCPU's thread. Without a mapping (too few polls saw a tick) the events sit at the end of the run,
     * with no extent and an unknown handler time, as an unmapped guest gap does.
     */
    private static void writeEvents(Ring r, dev.jkvm.jfr.JkvmTimeline timeline) {
        java.util.Optional<TscClock> clock = TscClock.fitBelow(r.clock.all(), r.nanosPerCycle);
        long end = System.nanoTime();
        KeptEntries k = r.kept;
        for (int i = 0; i < k.size(); i++) {
            long handler = clock.isPresent() ? clock.get().hostNanos(k.get(i, 1)) : -1;
            timeline.wakeupLatency(r.thread, r.vm, 0, k.get(i, 0), k.get(i, 1), k.get(i, 2), k.get(i, 3), k.get(i, 4), k.get(i, 5), handler, end);
        }
        k.clear();
    }

    private void report(PrintWriter out) {
        try {
            poll();
        } catch (Throwable t) {
            for (Ring r : rings) if (r.failure == null) r.failure = "last read failed: " + t;
        }
        for (Ring r : rings) {
            if (r.failure != null) out.printf("jkvm: %s tick ring no longer read: %s%n", r.vm, r.failure);
            if (r.badHeaders > 0) out.printf("jkvm: %s tick ring header ignored %d time(s): %s%n", r.vm, r.badHeaders, r.problem);
            if (r.skipped > 0 || r.kept.limit() > 0 && r.kept.refused() > 0) {
                out.printf("jkvm: %s tick ring: %d ticks not read (over %d a poll), %d not recorded as events (limit %d per VM)%n",
                        r.vm, r.skipped, READ_PER_POLL, r.kept.refused(), r.kept.limit());
            }
            long received = r.received();
            if (received == 0) {
                out.printf("jkvm: %s ticks: none received%n", r.vm);
                continue;
            }
            double delivered = 100.0 * received / (received + r.missed);
            out.printf("jkvm: %s ticks: %d received, %d missed (%.2f %% delivered)%s; wake-up latency p50 %s, p99 %s, max %s%n",
                    r.vm, received, r.missed, delivered,
                    r.overwritten == 0 ? "" : ", " + r.overwritten + " overwritten before read",
                    format(r.quantile(0.5)), format(r.quantile(0.99)), format(r.max));
            if (r.raisedFrom >= 0) {
                out.printf("jkvm: %s programmed a timer period of %s; KVM raised it to %s (kvm.min_timer_period_us), the period the ticks are counted with%n",
                        r.vm, format(r.raisedFrom), format(minTimerPeriodNanos));
            }
        }
        out.flush();
    }

    private static String format(long nanos) {
        return Durations.format(Duration.ofNanos(nanos));
    }

    @Override
    public void close() {
        thread.close();
    }
}
