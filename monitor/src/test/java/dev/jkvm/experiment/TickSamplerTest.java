package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The wake-up latency arithmetic of {@link TickSampler} on hand-made tick entries (1 GHz TSC). */
class TickSamplerTest {
    private static final long MS = 1_000_000;

    @Test
    void theFirstTickHasOnlyItsOwnPhase() {
        assertEquals(new TickSampler.Wakeup(40_000, 0), TickSampler.wakeup(-1, 0, 123, 40_000, MS, 1.0));
    }

    @Test
    void aTickOnTheNextExpiryHasTheLatencyItsLapicPhaseShows() {
        // Previous tick ran 20 µs after its expiry at TSC 1 000 000; this one at 2 000 000 + 35 µs.
        TickSampler.Wakeup w = TickSampler.wakeup(1_020_000, 20_000, 2_035_000, 35_000, MS, 1.0);
        assertEquals(new TickSampler.Wakeup(35_000, 0), w);
    }

    @Test
    void coalescedExpiriesCountAsMissedAndTheLatencyRunsFromTheFirstOne() {
        // Expiries at 2 ms and 3 ms came while the vCPU could not run; it ran at 3.1 ms (100 µs after the 3 ms one).
        TickSampler.Wakeup w = TickSampler.wakeup(1_020_000, 20_000, 3_100_000, 100_000, MS, 1.0);
        assertEquals(1_100_000, w.latencyNanos());
        assertEquals(1, w.missedTicks());
    }

    @Test
    void theTscRateConvertsCyclesToNanoseconds() {
        // A 2 GHz TSC: 2 000 070 cycles between the ticks are 1 000 035 ns.
        TickSampler.Wakeup w = TickSampler.wakeup(1_000_000, 0, 3_000_070, 35, MS, 0.5);
        assertEquals(new TickSampler.Wakeup(35, 0), w);
    }
}
