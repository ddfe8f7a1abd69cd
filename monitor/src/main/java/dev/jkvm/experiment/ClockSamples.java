package dev.jkvm.experiment;

import java.util.ArrayList;
import java.util.List;

/**
 * A guest's clock samples (host time, guest TSC) taken at the samplers' polls, bounded: when
 * {@link #limit} are kept, every other one is dropped and from then on only every other poll is
 * kept, so the samples still span the whole run for the fit ({@link TscClock}). Not thread-safe: its
 * sampler's lock guards it.
 */
final class ClockSamples {
    /** Samples kept per guest by default; at 100 a second, 2¾ minutes before thinning starts. */
    static final int DEFAULT_LIMIT = 1 << 14;

    private final int limit;
    private final List<TscClock.Sample> samples = new ArrayList<>();
    private int stride = 1;
    private long offered;

    ClockSamples(int limit) {
        if (limit < 2) throw new IllegalArgumentException("limit " + limit);
        this.limit = limit;
    }

    ClockSamples() {
        this(DEFAULT_LIMIT);
    }

    void add(TscClock.Sample s) {
        if (offered++ % stride != 0) return;
        if (samples.size() >= limit) {
            List<TscClock.Sample> kept = new ArrayList<>(limit);
            for (int i = 0; i < samples.size(); i += 2) kept.add(samples.get(i));
            samples.clear();
            samples.addAll(kept);
            stride *= 2;
        }
        samples.add(s);
    }

    /** The samples kept, oldest first (a live view). */
    List<TscClock.Sample> all() {
        return samples;
    }
}
