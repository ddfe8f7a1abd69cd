package dev.jkvm.exits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ExitStatsTest {
    private static final int IO = ExitReason.IO.code();
    private static final int HLT = ExitReason.HLT.code();

    @Test
    void countsByReasonAndTotal() {
        ExitStats s = new ExitStats();
        s.record(IO, 100);
        s.record(IO, 200);
        s.record(HLT, 50);
        s.record(200, 10);  // beyond CODE_LIMIT: "other"
        s.record(-3, 10);   // negative: "other"
        s.recordInterrupted();
        assertEquals(2, s.count(ExitReason.IO));
        assertEquals(1, s.count(ExitReason.HLT));
        assertEquals(0, s.count(ExitReason.MMIO));
        assertEquals(2, s.countOfCode(IO));
        assertEquals(2, s.countOfCode(ExitReason.CODE_LIMIT), "every unnamed code shares the other slot");
        assertEquals(5, s.total(), "interruptions are not exits");
        assertEquals(1, s.interrupted());
    }

    @Test
    void bucketBoundariesArePowersOfTwo() {
        assertEquals(0, ExitStats.bucketOf(-1));
        assertEquals(0, ExitStats.bucketOf(0));
        assertEquals(0, ExitStats.bucketOf(1));
        assertEquals(1, ExitStats.bucketOf(2));
        assertEquals(1, ExitStats.bucketOf(3));
        assertEquals(2, ExitStats.bucketOf(4));
        assertEquals(9, ExitStats.bucketOf(1023));
        assertEquals(10, ExitStats.bucketOf(1024));
        assertEquals(39, ExitStats.bucketOf((1L << 40) - 1));
        assertEquals(40, ExitStats.bucketOf(1L << 40));
        assertEquals(ExitStats.BUCKETS - 1, ExitStats.bucketOf(1L << 50), "the last bucket is open-ended");
        assertEquals(ExitStats.BUCKETS - 1, ExitStats.bucketOf(Long.MAX_VALUE));
    }

    @Test
    void snapshotHasCountsMeanMaxAndQuantileUpperBounds() {
        ExitStats s = new ExitStats();
        for (int i = 0; i < 9; i++) s.record(IO, 10);   // bucket 3: [8, 16)
        s.record(IO, 1000);                              // bucket 9: [512, 1024)
        ExitStats.Snapshot io = s.snapshot(IO);
        assertEquals("IO", io.reasonName());
        assertEquals(10, io.count());
        assertEquals(1090, io.totalHandlingNanos());
        assertEquals(109, io.meanHandlingNanos());
        assertEquals(1000, io.maxHandlingNanos());
        assertEquals(9, io.histogram()[3]);
        assertEquals(1, io.histogram()[9]);
        assertEquals(16, io.quantileUpperBoundNanos(0.0));
        assertEquals(16, io.quantileUpperBoundNanos(0.5));
        assertEquals(16, io.quantileUpperBoundNanos(0.9));
        assertEquals(1000, io.quantileUpperBoundNanos(0.91), "bucket bound 1024, but no exit took longer than 1000");
        assertEquals(1000, io.quantileUpperBoundNanos(1.0));
        assertEquals(0, io.countBelow(8));
        assertEquals(9, io.countBelow(16));
        assertEquals(9, io.countBelow(512));
        assertEquals(10, io.countBelow(1024));
    }

    @Test
    void snapshotOfAnUnseenReasonIsEmpty() {
        ExitStats.Snapshot none = new ExitStats().snapshot(HLT);
        assertEquals(0, none.count());
        assertEquals(0, none.meanHandlingNanos());
        assertEquals(0, none.quantileUpperBoundNanos(0.99));
        assertEquals(ExitStats.BUCKETS, none.histogram().length);
    }

    @Test
    void snapshotIsACopy() {
        ExitStats s = new ExitStats();
        s.record(HLT, 5);
        ExitStats.Snapshot before = s.snapshot(HLT);
        s.record(HLT, 5);
        assertEquals(1, before.count());
        assertEquals(1, before.histogram()[2]);
    }

    @Test
    void codesSeenAscendingWithOtherLast() {
        ExitStats s = new ExitStats();
        assertArrayEquals(new int[0], s.codesSeen());
        s.record(ExitReason.SHUTDOWN.code(), 1);
        s.record(999, 1);
        s.record(HLT, 1);
        s.record(IO, 1);
        assertArrayEquals(new int[] {IO, HLT, ExitReason.SHUTDOWN.code(), -1}, s.codesSeen());
        ExitStats.Snapshot other = s.snapshot(-1);
        assertEquals("other", other.reasonName());
        assertEquals(1, other.count());
    }

    @Test
    void reasonNames() {
        assertEquals("IO", ExitReason.nameOf(2));
        assertEquals("HLT", ExitReason.nameOf(5));
        assertEquals("reason 77", ExitReason.nameOf(77));
        assertEquals("reason -1", ExitReason.nameOf(-1));
        assertEquals(ExitReason.SYSTEM_EVENT, ExitReason.ofCode(24));
    }
}
