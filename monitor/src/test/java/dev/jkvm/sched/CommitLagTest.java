package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CommitLagTest {
    @Test
    void everyValueFallsInABucketWhoseTopIsAtMostOneThirtySecondAbove() {
        Random r = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            long v = i < 1000 ? i : r.nextLong(Long.MAX_VALUE >> r.nextInt(62));
            int b = CommitLag.bucket(v);
            long top = CommitLag.bucketTop(b);
            assertTrue(top >= v, v + " above its bucket's top " + top);
            assertTrue(top - v <= v / 32, v + " has a bucket top " + top + " too far above");
            if (b > 0) assertTrue(CommitLag.bucketTop(b - 1) < v, v + " also fits the bucket below");
        }
    }

    @Test
    void percentilesMatchTheSortedValuesWithinTheBucketError() {
        CommitLag lag = new CommitLag();
        Random r = new Random(3);
        long[] values = new long[100_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) Math.abs(r.nextGaussian() * 2_000_000) + 1_000;
            lag.add(values[i]);
        }
        Arrays.sort(values);
        for (double q : new double[] {0.5, 0.9, 0.99}) {
            long exact = values[(int) Math.ceil(q * values.length) - 1];
            long read = lag.percentile(q);
            assertTrue(read >= exact && read - exact <= exact / 32, "p" + q + ": " + read + " vs " + exact);
        }
        assertEquals(values[values.length - 1], lag.max());
        assertEquals(values[values.length - 1], lag.percentile(1.0));
    }
}
