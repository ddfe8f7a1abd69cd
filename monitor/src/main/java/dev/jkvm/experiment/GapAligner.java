package dev.jkvm.experiment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Finds the offset between a guest's TSC (in nanoseconds) and the host's CLOCK_MONOTONIC by matching
 * the guest's TSC gaps against its vCPU thread's off-CPU intervals from the switch records: a gap
 * and the interval that caused it have about the same length, and every true pair votes for the
 * same offset. Pure; fed after the run.
 */
public final class GapAligner {
    /** Width of an offset bin; votes of true pairs differ by scheduling and TSC-read jitter only. */
    static final long BIN_NANOS = 100_000;
    /** Gaps at least this long are almost always the vCPU thread being switched out; shorter ones may be exits or host interrupts. */
    static final long SWITCH_SIZED_NANOS = 500_000;

    /** A gap as the guest saw it, in its own nanoseconds (TSC / frequency). */
    public record Gap(long startNanos, long lengthNanos) {}

    /** A host interval during which the vCPU thread was off the CPU. */
    public record OffCpu(long outNanos, long inNanos) {
        long length() {
            return inNanos - outNanos;
        }
    }

    private GapAligner() {}

    /** guestNanos + offset = host CLOCK_MONOTONIC, or empty when too few gaps agree. */
    public static OptionalLong offset(List<Gap> gaps, List<OffCpu> intervals) {
        Map<Long, List<Long>> bins = new HashMap<>();
        for (Gap g : gaps) {
            long tolerance = Math.max(g.lengthNanos() / 10, 20_000);
            for (OffCpu o : intervals) {
                if (Math.abs(o.length() - g.lengthNanos()) > tolerance) continue;
                long candidate = o.outNanos() - g.startNanos();
                bins.computeIfAbsent(Math.floorDiv(candidate, BIN_NANOS), k -> new ArrayList<>()).add(candidate);
            }
        }
        long bestBin = 0;
        int bestVotes = 0;
        for (var e : bins.entrySet()) {
            int votes = e.getValue().size() + bins.getOrDefault(e.getKey() - 1, List.of()).size() + bins.getOrDefault(e.getKey() + 1, List.of()).size();
            if (votes > bestVotes) {
                bestVotes = votes;
                bestBin = e.getKey();
            }
        }
        long switchSized = gaps.stream().filter(g -> g.lengthNanos() >= SWITCH_SIZED_NANOS).count();
        if (bestVotes < Math.max(3, switchSized * 3 / 10)) return OptionalLong.empty();
        List<Long> near = new ArrayList<>();
        for (long b = bestBin - 1; b <= bestBin + 1; b++) near.addAll(bins.getOrDefault(b, List.of()));
        near.sort(Long::compare);
        return OptionalLong.of(near.get(near.size() / 2));
    }
}
