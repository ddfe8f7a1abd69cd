package dev.jkvm.experiment;

import dev.jkvm.util.HelperFailures;
import dev.jkvm.guest.GuestManifest;
import dev.jkvm.jfr.GuestGap;
import dev.jkvm.jfr.JkvmTimeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads the tsc-probe guests' gap rings while they run (often enough that the guest does not
 * overwrite entries before they are read), samples each guest's latest TSC against the host clock,
 * and at the end maps the gaps to host time ({@link TscClock}) and writes them as {@link GuestGap}
 * events.
 *
 * <p>Rings are guest input ({@link PublishedRing}): what a guest can make the sampler keep is fixed
 * before the run starts — {@link #GAP_BUDGET} gaps shared by all rings and {@link #MAX_CLOCK_SAMPLES}
 * clock samples per ring (thinned, not dropped, when full) — and a ring that cannot be read stops
 * being read, with a warning, while its VM and every other ring go on.
 */
final class GuestSampler implements AutoCloseable {
    static final long MAGIC = PublishedRing.MAGIC;
    /** Gaps kept in total over all rings: 24 bytes each, so at most 24 MiB. */
    static final int GAP_BUDGET = 1 << 20;
    /** Clock samples kept per ring; at 100 a second, 2¾ minutes before thinning starts. */
    static final int MAX_CLOCK_SAMPLES = ClockSamples.DEFAULT_LIMIT;

    /** One VM's ring, what has been read of it, and its clock samples. */
    private static final class Ring {
        final PublishedRing ring;
        /** The thread of the vCPU that runs the probe (vCPU 0), whose lane its gaps are drawn on; null before the threads exist. */
        final dev.jkvm.jfr.timeline.TimelineThread thread;
        final long tscHz;
        final GapStore gaps;
        final ClockSamples clock = new ClockSamples(MAX_CLOCK_SAMPLES);
        String failure;

        Ring(PublishedRing ring, dev.jkvm.jfr.timeline.TimelineThread thread, long tscHz, int gapLimit) {
            this.ring = ring;
            this.thread = thread;
            this.tscHz = tscHz;
            this.gaps = new GapStore(gapLimit);
        }
    }

    private final List<Ring> rings = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final SamplerThread thread;
    private final HelperFailures failures;

    GuestSampler(List<VmInstance> vms, HelperFailures failures) {
        this.failures = failures;
        List<PublishedRing> found = new ArrayList<>();
        List<dev.jkvm.jfr.timeline.TimelineThread> threads = new ArrayList<>();
        List<Long> hz = new ArrayList<>();
        for (VmInstance vm : vms) {
            GuestManifest m = vm.guest().manifest();
            if (m.tscRing().isEmpty()) continue;
            String bad = PublishedRing.placementProblem(m.tscRing().getAsLong(), vm.memory().size());
            if (bad != null) { // checked when the guest was loaded; this guards a caller that skipped the check
                warnings.add("jkvm: " + vm.name() + ": " + bad + "; its ring is not read");
                continue;
            }
            found.add(new PublishedRing(vm.name(), vm.memory().segment(), m.tscRing().getAsLong()));
            threads.add(vm.threads().isEmpty() ? null : vm.threads().get(0).timelineThread());
            hz.add(vm.tscHz());
        }
        int perRing = found.isEmpty() ? 0 : GAP_BUDGET / found.size();
        for (int i = 0; i < found.size(); i++) rings.add(new Ring(found.get(i), threads.get(i), hz.get(i), perRing));
        thread = new SamplerThread("guest-sampler", this::poll, this::pollingFailed);
    }

    void start() {
        if (!rings.isEmpty()) thread.start();
    }

    /** The sampler thread's end: the VMs go on, only their rings are lost. */
    private void pollingFailed(Throwable t) {
        failures.failed("guest sampler", t, "TSC gaps");
        synchronized (this) {
            for (Ring r : rings) if (r.failure == null) r.failure = "sampler failed: " + HelperFailures.reason(t);
        }
    }

    private synchronized void poll() {
        for (Ring r : rings) {
            if (r.failure != null) continue;
            try {
                if (!r.ring.alive()) continue; // the guest has not initialised its ring yet
                long before = System.nanoTime();
                long latest = r.ring.latestTsc();
                long after = System.nanoTime();
                r.clock.add(new TscClock.Sample((before + after) >>> 1, after - before, latest));
                r.ring.poll(r.gaps);
            } catch (RuntimeException e) {
                r.failure = String.valueOf(e.getMessage());
            }
        }
    }

    /** One line per ring that lost entries or could not be read, for the run's output. */
    synchronized List<String> warnings() {
        List<String> all = new ArrayList<>(warnings);
        for (Ring r : rings) {
            PublishedRing p = r.ring;
            if (r.failure != null) all.add("jkvm: " + p.vm() + ": tsc ring no longer read: " + r.failure);
            if (p.badHeaders() > 0) {
                all.add("jkvm: " + p.vm() + ": tsc ring header ignored " + p.badHeaders() + " time(s): " + p.problem());
            }
            if (p.dropped() > 0) {
                all.add("jkvm: " + p.vm() + ": tsc ring: " + p.dropped() + " gaps not kept (limit " + r.gaps.limit() + " per VM)");
            }
        }
        return all;
    }

    /**
     * Reads what is left, maps each VM's gaps to host time and commits the events. {@code offCpuOfVm}
     * gives a VM's off-CPU intervals ({out, in}, sorted) from the switch records. Returns the number
     * of gaps committed per VM.
     */
    Map<String, Integer> finish(Function<String, List<long[]>> offCpuOfVm, JkvmTimeline timeline) throws InterruptedException {
        thread.stopAndJoin(); // before taking the lock
        try {
            synchronized (this) {
                return commit(offCpuOfVm, timeline);
            }
        } catch (Throwable t) { // reported, not thrown: the run's summaries come after it
            failures.failed("guest sampler", t, "TSC gaps");
            return Map.of();
        }
    }

    private Map<String, Integer> commit(Function<String, List<long[]>> offCpuOfVm, JkvmTimeline timeline) {
        try {
            poll();
        } catch (Throwable t) {
            for (Ring r : rings) if (r.failure == null) r.failure = "last read failed: " + t;
        }
        Map<String, Integer> committed = new java.util.LinkedHashMap<>();
        for (Ring r : rings) {
            List<long[]> offCpu = offCpuOfVm.apply(r.ring.vm());
            GapStore gaps = r.gaps;
            Optional<TscClock> clock = TscClock.fit(r.clock.all(), offCpu).map(c -> c.snappedTo(gaps.asPairs(), offCpu));
            long readAt = System.nanoTime();
            for (int i = 0; timeline != null && i < gaps.size(); i++) {
                long tsc = gaps.tsc(i), cycles = gaps.cycles(i);
                timeline.guestGap(r.ring.vm(), r.thread, tsc, cycles, clock.isPresent() ? clock.get().nanos(cycles) : toNanos(cycles, r.tscHz), r.tscHz,
                        clock.isPresent() ? Math.round(1e9 / clock.get().nanosPerCycle()) : -1,
                        clock.isPresent() ? clock.get().hostNanos(tsc) : -1, gaps.sequence(i), readAt);
            }
            committed.put(r.ring.vm(), gaps.size());
        }
        return committed;
    }

    static long toNanos(long cycles, long hz) {
        return hz <= 0 ? -1 : (long) (cycles * (1e9 / hz));
    }

    @Override
    public void close() {
        thread.close();
    }
}
