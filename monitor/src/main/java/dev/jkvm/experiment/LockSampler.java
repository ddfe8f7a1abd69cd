package dev.jkvm.experiment;

import dev.jkvm.util.HelperFailures;
import dev.jkvm.jfr.LockStats;
import dev.jkvm.jfr.LockWait;
import dev.jkvm.kvm.GuestMemory;
import dev.jkvm.util.Durations;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads what lock guests publish (manifest {@code lock-stats}; layout in guests/src/lock.s): while
 * they run, their ring of contended acquisitions is read and kept; at the end each acquisition
 * becomes a {@link LockWait} event on its vCPU's thread, from the first try to the acquisition in host
 * time (the guest TSC mapped from what the polls saw, {@link TscClock#fitBelow}; committed as they
 * were read, the events sat at the polls on this sampler's thread), each vCPU's counters and
 * histograms a {@link LockStats} event, and one line per VM gives hold and wait p50/p99. Bounded: at
 * most one ringful is read per poll, and at most {@link #MAX_EVENTS} acquisitions are kept per run
 * (the rest are counted, not kept).
 */
final class LockSampler implements AutoCloseable {
    static final long MAGIC = 0x5441545354434f4cL; // "LOCKSTAT" read as a little-endian u64
    private static final long OFF_WRITTEN = 24, OFF_NEWEST = 56, BLOCKS = 0x1000, BLOCK_BYTES = 0x1000, RING = 0x41000;
    private static final long B_ACQ = 0, B_CONT = 8, B_MAXHOLD = 32, B_MAXWAIT = 40, B_HOLDHIST = 64, B_WAITHIST = 0x440;
    private static final int RING_CAP = 4096;
    /** Acquisitions kept for their events over all lock guests: 40 bytes each, so at most 20 MiB. */
    static final int MAX_EVENTS = 1 << 19;
    /** Longs per kept acquisition: sequence, vCPU, guest TSC at the acquisition, wait, hold (ns). */
    private static final int ENTRY_LONGS = 5;

    private static final class Guest {
        final String vm;
        final GuestMemory memory;
        final long base;
        final int vcpus;
        /** Each vCPU's thread, whose lane its waits lie on (empty before the threads exist). */
        final List<dev.jkvm.jfr.timeline.TimelineThread> threads;
        final double nanosPerCycle;
        long read;
        /** The newest acquisition's TSC at the last poll that saw a new one. */
        long newestSeen;
        long overwritten;
        /** Contended acquisitions read from the ring (kept or not). */
        long entries;
        KeptEntries kept;
        /** (host time after a poll read the count, the newest acquisition's TSC): each acquisition came before its poll. */
        final ClockSamples clock = new ClockSamples();

        Guest(String vm, GuestMemory memory, long base, int vcpus, List<dev.jkvm.jfr.timeline.TimelineThread> threads, long tscHz) {
            this.vm = vm;
            this.memory = memory;
            this.base = base;
            this.vcpus = vcpus;
            this.threads = threads;
            this.nanosPerCycle = 1e9 / tscHz;
        }

        long nanos(long cycles) {
            return cycles < 0 ? -1 : Math.round(cycles * nanosPerCycle);
        }
    }

    private final List<Guest> guests = new ArrayList<>();
    private final SamplerThread thread;
    private final HelperFailures failures;
    /** Set when the sampler thread failed: the ring is no longer read, the end-of-run statistics still are. */
    private volatile boolean failed;

    /** {@code keepEvents}: whether the acquisitions are kept for a recording's events (no recording, no need). */
    LockSampler(List<VmInstance> vms, HelperFailures failures, boolean keepEvents) {
        this.failures = failures;
        for (VmInstance vm : vms) {
            var at = vm.guest().manifest().lockStats();
            if (at.isPresent()) {
                guests.add(new Guest(vm.name(), vm.memory(), at.getAsLong(), vm.vcpus().size(),
                        vm.threads().stream().map(VcpuThread::timelineThread).toList(), vm.tscHz()));
            }
        }
        for (Guest g : guests) g.kept = new KeptEntries(ENTRY_LONGS, keepEvents ? MAX_EVENTS / guests.size() : 0);
        thread = new SamplerThread("lock-sampler", this::poll, this::pollingFailed);
    }

    void start() {
        if (!guests.isEmpty()) thread.start();
    }

    /** The sampler thread's end: the VMs go on, only their lock-wait events are lost. */
    private void pollingFailed(Throwable t) {
        failed = true;
        failures.failed("lock sampler", t, "lock-wait events");
    }

    private synchronized void poll() {
        for (Guest g : guests) {
            if (g.memory.readLong(g.base) != MAGIC) continue; // the guest has not written its header yet
            long written = g.memory.readLong(g.base + OFF_WRITTEN);
            // Any acquisition's TSC, stored while a vCPU ran: every poll during a slice gives a clock
            // sample a fraction of a round old. The ring's contended ones alone were about a hundred
            // a run, the freshest of them tens of µs old, and beside a build the mapping was 50-330 µs late.
            long newest = g.memory.readLong(g.base + OFF_NEWEST);
            long readAt = System.nanoTime(); // after the reads: every acquisition they show came before this
            if (newest != 0 && newest != g.newestSeen) {
                g.newestSeen = newest;
                g.clock.add(new TscClock.Sample(readAt, 0, newest));
            }
            if (written < g.read) continue; // a count that went back: nothing to trust this time
            if (written - g.read > RING_CAP) {
                g.overwritten += written - g.read - RING_CAP;
                g.read = written - RING_CAP;
            }
            for (; g.read < written; g.read++) {
                long at = g.base + RING + (g.read % RING_CAP) * 32;
                long vcpu = g.memory.readLong(at + 24);
                if (vcpu < 0 || vcpu >= g.vcpus) continue; // not an entry the guest could have written
                long tsc = g.memory.readLong(at);
                g.entries++;
                g.kept.add(g.read, vcpu, tsc, g.nanos(g.memory.readLong(at + 8)), g.nanos(g.memory.readLong(at + 16)));
                if (g.read + 1 == written && newest == 0) g.clock.add(new TscClock.Sample(readAt, 0, tsc)); // a guest without +56
            }
        }
    }

    /**
     * Reads what is left, commits each vCPU's LockStats and prints one line per VM. Call once the
     * vCPUs have stopped. Joins the thread before taking the lock (the thread may be waiting for it
     * to poll once more); a failure here is reported, not thrown: the run's summaries come after it.
     */
    void finish(PrintWriter out, dev.jkvm.jfr.JkvmTimeline timeline) throws InterruptedException {
        thread.stopAndJoin();
        try {
            synchronized (this) {
                report(out);
                if (timeline != null) for (Guest g : guests) writeEvents(g, timeline);
            }
        } catch (Throwable t) {
            failures.failed("lock sampler", t, "lock statistics");
        }
    }

    /**
     * One event per kept acquisition on its vCPU's thread, from the first try to the acquisition;
     * without a mapping (too few polls saw one) at the end of the run, with no extent.
     */
    private static void writeEvents(Guest g, dev.jkvm.jfr.JkvmTimeline timeline) {
        java.util.Optional<TscClock> clock = TscClock.fitBelow(g.clock.all(), g.nanosPerCycle);
        long end = System.nanoTime();
        KeptEntries k = g.kept;
        for (int i = 0; i < k.size(); i++) {
            int vcpu = (int) k.get(i, 1);
            long acquired = clock.isPresent() ? clock.get().hostNanos(k.get(i, 2)) : -1;
            timeline.lockWait(vcpu < g.threads.size() ? g.threads.get(vcpu) : null, g.vm, vcpu, k.get(i, 0), k.get(i, 2), k.get(i, 3),
                    k.get(i, 4), acquired, end);
        }
        k.clear();
    }

    private void report(PrintWriter out) {
        if (!failed) poll();
        for (Guest g : guests) {
            if (g.memory.readLong(g.base) != MAGIC) {
                out.printf("jkvm: %s lock: the guest published no statistics%n", g.vm);
                continue;
            }
            long[] hold = new long[LockHistogram.BUCKETS], wait = new long[LockHistogram.BUCKETS];
            long acquisitions = 0, contended = 0, maxHold = 0, maxWait = 0;
            for (int v = 0; v < g.vcpus; v++) {
                long block = g.base + BLOCKS + v * BLOCK_BYTES;
                long[] h = histogram(g, block + B_HOLDHIST), w = histogram(g, block + B_WAITHIST);
                long acq = g.memory.readLong(block + B_ACQ), cont = g.memory.readLong(block + B_CONT);
                long mh = g.memory.readLong(block + B_MAXHOLD), mw = g.memory.readLong(block + B_MAXWAIT);
                LockStats e = new LockStats();
                e.vm = g.vm;
                e.vcpu = v;
                e.acquisitions = acq;
                e.contended = cont;
                e.holdP50 = g.nanos(LockHistogram.quantile(h, 0.5, mh));
                e.holdP99 = g.nanos(LockHistogram.quantile(h, 0.99, mh));
                e.holdMax = g.nanos(mh);
                e.waitP50 = g.nanos(LockHistogram.quantile(w, 0.5, mw));
                e.waitP99 = g.nanos(LockHistogram.quantile(w, 0.99, mw));
                e.waitMax = cont == 0 ? -1 : g.nanos(mw);
                e.commit();
                for (int b = 0; b < LockHistogram.BUCKETS; b++) {
                    hold[b] += h[b];
                    wait[b] += w[b];
                }
                acquisitions += acq;
                contended += cont;
                maxHold = Math.max(maxHold, mh);
                maxWait = Math.max(maxWait, mw);
            }
            out.printf("jkvm: %s lock: %d acquisitions, %d contended; hold p50 %s, p99 %s, max %s; wait (contended) p50 %s, p99 %s, max %s"
                    + "; %d lock-wait events%s%n", g.vm, acquisitions, contended,
                    format(g.nanos(LockHistogram.quantile(hold, 0.5, maxHold))), format(g.nanos(LockHistogram.quantile(hold, 0.99, maxHold))),
                    format(g.nanos(maxHold)), format(g.nanos(LockHistogram.quantile(wait, 0.5, maxWait))),
                    format(g.nanos(LockHistogram.quantile(wait, 0.99, maxWait))), contended == 0 ? "-" : format(g.nanos(maxWait)),
                    g.kept.limit() == 0 ? g.entries : g.kept.size(), // without a recording, what it would hold
                    g.overwritten + notKept(g) == 0 ? "" : " (" + g.overwritten + " overwritten before read, " + notKept(g) + " beyond the run's bound)");
        }
        out.flush();
    }

    private static long notKept(Guest g) {
        return g.kept.limit() == 0 ? 0 : g.kept.refused();
    }

    private static long[] histogram(Guest g, long at) {
        long[] h = new long[LockHistogram.BUCKETS];
        for (int b = 0; b < h.length; b++) h[b] = g.memory.readLong(at + b * 8L);
        return h;
    }

    private static String format(long nanos) {
        return nanos < 0 ? "-" : Durations.format(Duration.ofNanos(nanos));
    }

    @Override
    public void close() {
        thread.close();
    }
}
