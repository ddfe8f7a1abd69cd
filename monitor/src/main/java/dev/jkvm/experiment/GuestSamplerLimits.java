package dev.jkvm.experiment;

/** What a guest's published ring can make jkvm keep, for tests and documentation outside this package. */
public final class GuestSamplerLimits {
    /** Gaps kept over all rings of a run. */
    public static final int GAP_BUDGET = GuestSampler.GAP_BUDGET;
    /** Entries one ring may declare. */
    public static final long MAX_RING_CAPACITY = PublishedRing.MAX_CAPACITY;

    private GuestSamplerLimits() {}
}
