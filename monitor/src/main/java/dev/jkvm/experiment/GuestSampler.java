package dev.jkvm.experiment;

import dev.jkvm.guest.GuestManifest;
import dev.jkvm.jfr.GuestGap;
import dev.jkvm.kvm.GuestMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * Reads the tsc-probe guests' gap rings while they run (often enough that the guest does not
 * overwrite entries before they are read), and at the end aligns the gaps with the host's
 * off-CPU intervals and commits them as {@link GuestGap} events.
 *
 * <p>Ring layout (guests/README.md): u64 magic "TSCPROBE", threshold, capacity, write_count,
 * iterations, then 16-byte entries {tsc_before_gap, gap_cycles} from +0x40.
 */
final class GuestSampler implements AutoCloseable {
    static final long MAGIC = 0x45424f5250435354L; // "TSCPROBE" read as a little-endian u64
    private static final long POLL_NANOS = 20_000_000;

    /** One VM's ring and what has been read of it. */
    private static final class Ring {
        final String vm;
        final GuestMemory memory;
        final long base;
        final long tscHz;
        long read;
        long missed;
        final List<long[]> entries = new ArrayList<>(); // {sequence, tsc, cycles}

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
     * Reads what is left, aligns each VM's gaps with its off-CPU intervals and commits the events.
     * Returns the number of gaps committed per VM.
     */
    synchronized Map<String, Integer> finish(Function<String, List<GapAligner.OffCpu>> offCpuOfVm) throws InterruptedException {
        stopping = true;
        if (thread.isAlive()) thread.join();
        poll();
        Map<String, Integer> committed = new java.util.LinkedHashMap<>();
        for (Ring r : rings) {
            List<GapAligner.Gap> gaps = new ArrayList<>();
            for (long[] e : r.entries) gaps.add(new GapAligner.Gap(toNanos(e[1], r.tscHz), toNanos(e[2], r.tscHz)));
            OptionalLong offset = GapAligner.offset(gaps, offCpuOfVm.apply(r.vm));
            for (int i = 0; i < r.entries.size(); i++) {
                long[] e = r.entries.get(i);
                GuestGap g = new GuestGap();
                g.vm = r.vm;
                g.sequence = e[0];
                g.guestTsc = e[1];
                g.gapCycles = e[2];
                g.gap = gaps.get(i).lengthNanos();
                g.tscHz = r.tscHz;
                g.estimatedStart = offset.isPresent() ? gaps.get(i).startNanos() + offset.getAsLong() : -1;
                g.commit();
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
