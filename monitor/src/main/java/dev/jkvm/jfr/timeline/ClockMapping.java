package dev.jkvm.jfr.timeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where CLOCK_MONOTONIC nanoseconds fall on a recording's time axis, in its wall-clock nanoseconds
 * and in its ticks.
 *
 * <p>The JDK's parser converts the ticks of every chunk of a file with the first chunk's header
 * (the JVM keeps one tick counter for a whole recording), so an appended chunk must count in the
 * JVM's ticks. HotSpot on Linux counts them on CLOCK_MONOTONIC from an origin it does not publish;
 * {@link ClockReference} events measure it: {@code epoch = monotonic + offset}, and the first
 * chunk's header turns epoch nanoseconds into ticks.
 *
 * @param offsetNanos      epoch nanoseconds minus CLOCK_MONOTONIC nanoseconds
 * @param uncertaintyNanos half the tightest reference's bracket: the offset is right within this
 * @param references       how many references were found
 * @param spreadNanos      largest difference between the references' offsets (a drift or step
 *                         between the JVM's ticks and CLOCK_MONOTONIC during the run shows here)
 * @param startNanos       the first chunk's start, epoch nanoseconds
 * @param startTicks       the first chunk's start, ticks
 * @param ticksPerSecond   the recording's tick rate
 */
public record ClockMapping(long offsetNanos, long uncertaintyNanos, int references, long spreadNanos,
                           long startNanos, long startTicks, long ticksPerSecond) {
    private static final int TRIES = 16;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    public ClockMapping {
        if (ticksPerSecond <= 0) throw new IllegalArgumentException("ticks per second must be positive: " + ticksPerSecond);
    }

    public long epochNanos(long monotonicNanos) {
        return monotonicNanos + offsetNanos;
    }

    /** The recording's tick at a CLOCK_MONOTONIC time. */
    public long ticks(long monotonicNanos) {
        return startTicks + ticksOfNanos(epochNanos(monotonicNanos) - startNanos);
    }

    /** The epoch nanoseconds readers compute for a tick, as the JDK's parser does it. */
    public long epochNanosOfTicks(long ticks) {
        return startNanos + (long) ((ticks - startTicks) / (ticksPerSecond / (double) NANOS_PER_SECOND));
    }

    /** A length in ticks; exact when ticks are nanoseconds, as they are on Linux HotSpot. */
    public long ticksOfNanos(long nanos) {
        if (ticksPerSecond == NANOS_PER_SECOND) return nanos;
        return Math.round(nanos * (ticksPerSecond / (double) NANOS_PER_SECOND));
    }

    /**
     * Registers the reference event with the JVM; before a recording starts, so its first metadata
     * declares it. Once only: every registration, even of a registered class, makes the JVM write
     * its whole metadata (about 135 KB) into the running recording again.
     */
    public static void declare() {
        Declared.ONCE.hashCode();
    }

    private enum Declared {
        ONCE;
        static {
            jdk.jfr.FlightRecorder.register(ClockReference.class);
        }
    }

    /** Makes sure {@code recording} records the references, whatever its profile says. */
    public static void enableOn(jdk.jfr.Recording recording) {
        recording.enable(ClockReference.class).withThreshold(java.time.Duration.ZERO);
    }

    /**
     * Commits one reference event to the running recording: of {@value #TRIES} tries, the one whose
     * two clock readings were closest. Call while the recording runs (at start and before it stops).
     */
    public static void mark() {
        ClockReference best = null;
        for (int i = 0; i < TRIES; i++) {
            ClockReference e = new ClockReference();
            long before = System.nanoTime();
            e.begin();
            long after = System.nanoTime();
            e.end();
            e.monotonicBefore = before;
            e.monotonicAfter = after;
            if (best == null || after - before < best.monotonicAfter - best.monotonicBefore) best = e;
        }
        best.commit();
    }

    /**
     * Reads the references and the first chunk's clock of a finished recording this JVM wrote (the
     * references are found with this JVM's type id for them; see {@link ClockReferenceScan}).
     */
    public static ClockMapping read(Path recording) throws IOException {
        ClockReferenceScan.Result scan = ClockReferenceScan.read(recording);
        List<long[]> refs = new ArrayList<>(); // {offset, bracket}
        for (ClockReferenceScan.Reference r : scan.references()) {
            long before = r.monotonicBefore(), after = r.monotonicAfter();
            refs.add(new long[] {r.epochNanos() - (before + (after - before) / 2), after - before});
        }
        if (refs.isEmpty()) {
            throw new IOException("no jkvm.ClockReference event in " + recording + ": cannot place kernel times on its time axis");
        }
        long[] best = refs.getFirst();
        long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
        for (long[] r : refs) {
            if (r[1] < best[1]) best = r;
            min = Math.min(min, r[0]);
            max = Math.max(max, r[0]);
        }
        return new ClockMapping(best[0], (best[1] + 1) / 2, refs.size(), max - min, scan.startNanos(), scan.startTicks(), scan.ticksPerSecond());
    }
}
