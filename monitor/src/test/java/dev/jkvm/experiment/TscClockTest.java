package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The guest-TSC-to-host-time mapping on synthetic samples whose true mapping is known. */
class TscClockTest {
    // The truth: a 2.5 GHz TSC (0.4 ns a cycle) that read 0 at host time 1 s.
    static final double RATE = 0.4;
    static final double OFFSET = 1_000_000_000;

    static long host(long tsc) {
        return Math.round(tsc * RATE + OFFSET);
    }

    @Test
    void fitsRateAndOffsetAndDropsSamplesTakenWhileTheVcpuWasOff() {
        List<long[]> offCpu = List.of(new long[] {host(100_000_000), host(110_000_000)});
        List<TscClock.Sample> samples = new ArrayList<>();
        for (long tsc = 10_000_000; tsc < 300_000_000; tsc += 5_000_000) {
            samples.add(new TscClock.Sample(host(tsc), 1_000, tsc));
        }
        // A stale sample inside the off-CPU interval: the guest's TSC did not move while it was off.
        samples.add(new TscClock.Sample(host(105_000_000), 1_000, 99_000_000));
        // A sample whose read was delayed: dropped too.
        samples.add(new TscClock.Sample(host(200_000_000) + 5_000_000, 90_000, 201_000_000));
        samples.sort((a, b) -> Long.compare(a.hostNanos(), b.hostNanos()));
        TscClock c = TscClock.fit(samples, offCpu).orElseThrow();
        assertEquals(RATE, c.nanosPerCycle(), 1e-9);
        assertEquals(host(123_456_789), c.hostNanos(123_456_789), 2);
        assertEquals(4_000_000, c.nanos(10_000_000));
    }

    /**
     * Ticks every 1 ms (plus jitter), each seen at the next poll every 10.3 ms: the samples (poll time,
     * the newest tick's TSC) lie above the truth by a delay that beats between the two periods. The
     * lower-hull fit recovers the rate and puts every tick within microseconds; a least-squares
     * line through the same samples is off by hundreds of them.
     */
    @Test
    void samplesSeenAfterTheirTicksBoundTheMappingFromBelow() {
        java.util.Random random = new java.util.Random(7);
        List<Long> ticks = new ArrayList<>();
        for (long t = 0; t < 3_000_000_000L; t += 1_000_000 + random.nextInt(20_000)) ticks.add(t);
        List<TscClock.Sample> samples = new ArrayList<>();
        int k = 0;
        for (long poll = 500_000; poll < 3_000_000_000L; poll += 10_300_000) {
            while (k + 1 < ticks.size() && ticks.get(k + 1) <= poll) k++;
            long tsc = Math.round(ticks.get(k) / RATE); // the newest tick before the poll
            samples.add(new TscClock.Sample(Math.round(OFFSET) + poll, 0, tsc));
        }
        TscClock below = TscClock.fitBelow(samples).orElseThrow();
        long worst = 0;
        for (long t : ticks) {
            long tsc = Math.round(t / RATE);
            worst = Math.max(worst, Math.abs(below.hostNanos(tsc) - host(tsc)));
        }
        assertTrue(worst < 20_000, "a tick mapped " + worst + " ns off");
        assertEquals(RATE, below.nanosPerCycle(), RATE * 10e-6);
        TscClock squares = TscClock.fit(samples, List.of()).orElseThrow();
        long squaresWorst = 0;
        for (long t : ticks) squaresWorst = Math.max(squaresWorst, Math.abs(squares.hostNanos(Math.round(t / RATE)) - host(Math.round(t / RATE))));
        assertTrue(squaresWorst > 5 * worst, "least squares did as well: " + squaresWorst + " vs " + worst + " ns");
    }

    /**
     * A 2 Hz tick seen by six polls: too few points to fit a rate, so KVM's (here 15 ppm off the truth)
     * is taken and only the offset fitted under the samples: each tick then lies within one poll
     * interval of the truth, where the hull's slope through six points drifted milliseconds.
     */
    @Test
    void fewSamplesTakeTheNominalRate() {
        List<TscClock.Sample> samples = new ArrayList<>();
        List<Long> ticks = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            long t = 500_000_000L * k + 123_456;
            ticks.add(t);
            long poll = (t / 10_300_000 + 1) * 10_300_000; // the next poll
            samples.add(new TscClock.Sample(Math.round(OFFSET) + poll, 0, Math.round(t / RATE)));
        }
        double nominal = RATE * (1 + 15e-6);
        TscClock c = TscClock.fitBelow(samples, nominal).orElseThrow();
        assertEquals(nominal, c.nanosPerCycle(), 0.0);
        for (long t : ticks) {
            long error = c.hostNanos(Math.round(t / RATE)) - host(Math.round(t / RATE));
            assertTrue(Math.abs(error) <= 10_300_000 + 50_000, "a tick mapped " + error + " ns off");
        }
        assertTrue(TscClock.fitBelow(List.of(), nominal).isEmpty());
    }

    @Test
    void tooFewSamplesGiveNoMapping() {
        List<TscClock.Sample> samples = List.of(new TscClock.Sample(host(1), 10, 1), new TscClock.Sample(host(2), 10, 2));
        assertEquals(Optional.empty(), TscClock.fit(samples, List.of()));
    }

    @Test
    void snappingRemovesAConstantStalenessOfTheSamples() {
        // Gaps of 4 ms (10 000 000 cycles) every 25 ms of TSC; each one is a host off-CPU interval.
        List<long[]> gaps = new ArrayList<>();
        List<long[]> offCpu = new ArrayList<>();
        for (long tsc = 50_000_000; tsc < 1_000_000_000; tsc += 62_500_000) {
            gaps.add(new long[] {tsc, 10_000_000});
            offCpu.add(new long[] {host(tsc), host(tsc + 10_000_000)});
        }
        // Samples that are all 3 ms stale give an offset 3 ms off.
        TscClock biased = new TscClock(RATE, OFFSET + 3_000_000, 10);
        TscClock snapped = biased.snappedTo(gaps, offCpu);
        for (long[] g : gaps) assertEquals(host(g[0]), snapped.hostNanos(g[0]), 1_000);
        assertTrue(Math.abs(snapped.nanosPerCycle() - RATE) < 1e-6);
    }
}
