package dev.jkvm.experiment;

import dev.jkvm.guest.GuestManifest;
import dev.jkvm.jfr.GuestGap;
import dev.jkvm.jfr.JkvmTimeline;
import dev.jkvm.kvm.GuestMemory;
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
 * <p>Ring layout (guests/README.md): u64 magic "TSCPROBE", threshold, capacity, write_count,
 * iterations, latest_tsc, then 16-byte entries {tsc_before_gap, gap_cycles} from +0x40.
 */
final class GuestSampler implements AutoCloseable {
    static final long MAGIC = 0x45424f5250435354L; // "TSCPROBE" read as a little-endian u64
    private static final long POLL_NANOS = 10_000_000;

    /** One VM's ring and what has been read of it. */
    private static final class Ring {
        final String vm;
        final GuestMemory memory;
        final long base;
        final long tscHz;
        long read;
        long missed;
        final List<long[]> entries = new ArrayList<>(); // {sequence, tsc, cycles}
        final List<TscClock.Sample> clock = new ArrayList<>();

        Ring(String vm, GuestMemory memory, long base, long tscHz) {
            this.vm = vm;
            this.memory = memory;
            this.base = base;
            this.tscHz = tscHz;
        }
    }

    private final List<Ring> rings = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stopping;

    GuestSampler(List<VmInstance> vms) {
        for (VmInstance vm : vms) {
            GuestManifest m = vm.guest().manifest();
            if (m.tscRing().isPresent()) rings.add(new Ring(vm.name(), vm.memory(), m.tscRing().getAsLong(), vm.tscHz()));
        }
        thread = Thread.ofPlatform().name("jkvm-guest-sampler").daemon(true).unstarted(this::loop);
    }

    void start() {
        if (!rings.isEmpty()) thread.start();
    }

    private void loop() {
        while (!stopping) {
            poll();
            java.util.concurrent.locks.LockSupport.parkNanos(POLL_NANOS);
        }
    }

    private synchronized void poll() {
        for (Ring r : rings) {
            if (r.memory.readLong(r.base) != MAGIC) continue; // the guest has not initialised its ring yet
            long before = System.nanoTime();
            long latest = r.memory.readLong(r.base + 40);
            long after = System.nanoTime();
            r.clock.add(new TscClock.Sample((before + after) >>> 1, after - before, latest));
            long capacity = r.memory.readLong(r.base + 16);
            long written = r.memory.readLong(r.base + 24);
            if (capacity <= 0 || capacity > (1 << 20)) continue; // a guest's garbage is not our index
            if (written - r.read > capacity) {
                r.missed += written - r.read - capacity;
                r.read = written - capacity;
            }
            for (; r.read < written; r.read++) {
                long at = r.base + 0x40 + (r.read % capacity) * 16;
                r.entries.add(new long[] {r.read, r.memory.readLong(at), r.memory.readLong(at + 8)});
            }
        }
    }

    /**
     * Reads what is left, maps each VM's gaps to host time and commits the events. {@code offCpuOfVm}
     * gives a VM's off-CPU intervals ({out, in}, sorted) from the switch records. Returns the number
     * of gaps committed per VM.
     */
    synchronized Map<String, Integer> finish(Function<String, List<long[]>> offCpuOfVm, JkvmTimeline timeline) throws InterruptedException {
        stopping = true;
        if (thread.isAlive()) thread.join();
        poll();
        Map<String, Integer> committed = new java.util.LinkedHashMap<>();
        for (Ring r : rings) {
            List<long[]> offCpu = offCpuOfVm.apply(r.vm);
            Optional<TscClock> clock = TscClock.fit(r.clock, offCpu).map(c -> c.snappedTo(r.entries.stream()
                    .map(e -> new long[] {e[1], e[2]}).toList(), offCpu));
            long readAt = System.nanoTime();
            for (long[] e : timeline == null ? List.<long[]>of() : r.entries) {
                timeline.guestGap(r.vm, e[1], e[2], clock.isPresent() ? clock.get().nanos(e[2]) : toNanos(e[2], r.tscHz), r.tscHz,
                        clock.isPresent() ? Math.round(1e9 / clock.get().nanosPerCycle()) : -1,
                        clock.isPresent() ? clock.get().hostNanos(e[1]) : -1, e[0], readAt);
            }
            committed.put(r.vm, r.entries.size());
        }
        return committed;
    }

    static long toNanos(long cycles, long hz) {
        return (long) (cycles * (1e9 / hz));
    }

    @Override
    public void close() {
        stopping = true;
    }
}
