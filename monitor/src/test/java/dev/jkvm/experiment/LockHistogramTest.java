package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The lock guest's histogram buckets and percentiles. No KVM. */
class LockHistogramTest {

    @Test
    void smallCountsHaveTheirOwnBucketsThenFourPerPowerOfTwo() {
        for (int x = 0; x < 4; x++) assertEquals(x, LockHistogram.bucketOf(x));
        assertEquals(4, LockHistogram.bucketOf(4));
        assertEquals(5, LockHistogram.bucketOf(5));
        assertEquals(7, LockHistogram.bucketOf(7));
        assertEquals(8, LockHistogram.bucketOf(8));
        assertEquals(8, LockHistogram.bucketOf(9), "8 and 9 share [8, 10)");
        assertEquals(11, LockHistogram.bucketOf(15));
        assertEquals(4 * 9 + 1, LockHistogram.bucketOf(1280), "2^10 + 2^8: top bit 10, next bits 01");
        assertEquals(127, LockHistogram.bucketOf(1L << 33));
        assertEquals(127, LockHistogram.bucketOf(Long.MAX_VALUE));
    }

    @Test
    void everyValueLiesInItsBucketAndTheBoundIsWithinAQuarter() {
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 100_000; i++) {
            long x = r.nextLong(1L << r.nextInt(1, 34));
            int b = LockHistogram.bucketOf(x);
            assertTrue(LockHistogram.lowerBound(b) <= x && x < LockHistogram.upperBound(b), x + " outside bucket " + b);
            if (x >= 4 && b < 127) assertTrue(LockHistogram.upperBound(b) - 1 <= x * 1.25, x + ": bound " + LockHistogram.upperBound(b));
        }
        for (int b = 0; b < 127; b++) assertEquals(LockHistogram.upperBound(b), LockHistogram.lowerBound(b + 1), "buckets are contiguous");
    }

    @Test
    void percentilesAreNearestRankBucketBoundsCappedAtTheMax() {
        long[] h = new long[128];
        h[LockHistogram.bucketOf(100)] = 98;      // [96, 112)
        h[LockHistogram.bucketOf(5_000_000)] = 2;  // the long waits
        assertEquals(111, LockHistogram.quantile(h, 0.5, 6_000_000));
        assertEquals(111, LockHistogram.quantile(h, 0.98, 6_000_000));
        assertEquals(5_242_879, LockHistogram.quantile(h, 0.99, 6_000_000));
        assertEquals(5_100_000, LockHistogram.quantile(h, 0.99, 5_100_000), "capped at the exact max");
        assertEquals(-1, LockHistogram.quantile(new long[128], 0.5, 0), "empty");
        long[] hostile = new long[128];
        hostile[3] = -5;
        hostile[9] = 1;
        assertEquals(11, LockHistogram.quantile(hostile, 0.5, 100), "negative counts count as none: bucket 9 is [10, 12)");
    }
}
