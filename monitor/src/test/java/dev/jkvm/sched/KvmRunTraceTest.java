package dev.jkvm.sched;

import static dev.jkvm.sched.KvmRunTrace.INSIDE;
import static dev.jkvm.sched.KvmRunTrace.OUTSIDE;
import static dev.jkvm.sched.KvmRunTrace.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class KvmRunTraceTest {
    @Test
    void beforeAnyTransitionTheThreadIsOutside() {
        KvmRunTrace t = new KvmRunTrace();
        assertEquals(OUTSIDE, t.stateAt(0));
        assertEquals(OUTSIDE, t.stateAt(Long.MAX_VALUE));
    }

    @Test
    void insideEnterLeaveIntervalsOutsideBetweenThem() {
        KvmRunTrace t = new KvmRunTrace();
        t.enter(100);
        t.leave(200);
        t.enter(300);
        t.leave(400);
        assertEquals(OUTSIDE, t.stateAt(99), "before the first enter");
        assertEquals(INSIDE, t.stateAt(100), "an enter at T is inside from T");
        assertEquals(INSIDE, t.stateAt(150));
        assertEquals(INSIDE, t.stateAt(199));
        assertEquals(OUTSIDE, t.stateAt(200), "a leave at T is outside from T");
        assertEquals(OUTSIDE, t.stateAt(250));
        assertEquals(INSIDE, t.stateAt(350));
        assertEquals(OUTSIDE, t.stateAt(400));
        assertEquals(OUTSIDE, t.stateAt(10_000), "after the last leave");
    }

    @Test
    void leavesBetweenCountsTheExitsInAnInterval() {
        KvmRunTrace t = new KvmRunTrace();
        for (int i = 0; i < 10; i++) {
            t.enter(100 * i + 10);
            t.leave(100 * i + 60); // leaves at 60, 160, …, 960
        }
        assertEquals(10, t.leavesBetween(0, 1_000));
        assertEquals(0, t.leavesBetween(61, 159));
        assertEquals(1, t.leavesBetween(60, 160), "after from, up to and including to");
        assertEquals(3, t.leavesBetween(100, 400));
        assertEquals(0, t.leavesBetween(0, 59));
        assertEquals(0, t.leavesBetween(500, 500));
    }

    @Test
    void leavesBetweenIsUnknownBeyondTheRetainedWindow() {
        KvmRunTrace t = new KvmRunTrace();
        for (int i = 0; i < KvmRunTrace.MAX_CAPACITY; i++) {
            t.enter(10L * i + 1);
            t.leave(10L * i + 5);
        }
        assertEquals(UNKNOWN, t.leavesBetween(0, 100));
        long last = 10L * (KvmRunTrace.MAX_CAPACITY - 1);
        assertEquals(1, t.leavesBetween(last, last + 9));
    }

    @Test
    void afterTheLastEnterTheThreadIsStillInside() {
        KvmRunTrace t = new KvmRunTrace();
        t.enter(100);
        assertEquals(INSIDE, t.stateAt(100));
        assertEquals(INSIDE, t.stateAt(1_000_000));
        assertEquals(OUTSIDE, t.stateAt(50));
    }

    @Test
    void afterWrappingTimesOlderThanTheRetainedWindowAreUnknown() {
        KvmRunTrace t = new KvmRunTrace();
        int transitions = 2 * KvmRunTrace.MAX_CAPACITY + 10; // even: ends with a leave
        for (int i = 0; i < transitions; i++) {
            long at = 10L * (i + 1);
            if ((i & 1) == 0) t.enter(at);
            else t.leave(at);
        }
        assertEquals(UNKNOWN, t.stateAt(5), "before the first transition ever, which was overwritten");
        assertEquals(UNKNOWN, t.stateAt(10L * (transitions - KvmRunTrace.MAX_CAPACITY)), "overwritten");
        // Recent history is still exact: transition i (0-based) happened at 10*(i+1).
        int recentEnter = transitions - 100;        // even index: an enter
        assertEquals(INSIDE, t.stateAt(10L * (recentEnter + 1) + 5));
        assertEquals(OUTSIDE, t.stateAt(10L * (recentEnter + 2) + 5));
        assertEquals(OUTSIDE, t.stateAt(10L * transitions + 1), "after the last leave");
    }

    @Test
    void insideDuringAnIntervalCountsAnEnterWithinIt() {
        KvmRunTrace t = new KvmRunTrace();
        t.enter(100);
        t.leave(200);
        t.enter(300);
        t.leave(400);
        assertEquals(OUTSIDE, t.insideDuring(10, 99), "before the first enter");
        assertEquals(INSIDE, t.insideDuring(10, 100), "entered at the interval's end");
        assertEquals(INSIDE, t.insideDuring(150, 160), "inside throughout");
        assertEquals(INSIDE, t.insideDuring(199, 250), "inside at the start");
        assertEquals(OUTSIDE, t.insideDuring(200, 299), "outside throughout");
        assertEquals(INSIDE, t.insideDuring(250, 1000), "entered and left within");
        assertEquals(OUTSIDE, t.insideDuring(400, 1000), "after the last leave");
        assertEquals(OUTSIDE, new KvmRunTrace().insideDuring(0, 1000), "never entered");
    }

    @Test
    void aVcpuThatRarelyExitsKeepsItsSmallRing() {
        KvmRunTrace t = new KvmRunTrace();
        long gap = KvmRunTrace.KEEP_NANOS + 1; // every overwritten transition is older than the history kept
        int transitions = 3 * KvmRunTrace.INITIAL_CAPACITY;
        for (int i = 0; i < transitions; i++) {
            if ((i & 1) == 0) t.enter(gap * (i + 1));
            else t.leave(gap * (i + 1));
        }
        assertEquals(KvmRunTrace.INITIAL_CAPACITY, t.capacity(), "never grown");
        assertEquals(UNKNOWN, t.stateAt(gap + 1), "the first transition was overwritten");
        int recent = transitions - 4; // even: an enter
        assertEquals(INSIDE, t.stateAt(gap * (recent + 1) + 1));
        assertEquals(OUTSIDE, t.stateAt(gap * (recent + 2) + 1));
        assertEquals(1, t.leavesBetween(gap * (recent + 1), gap * (recent + 2)));
    }

    @Test
    void growingKeepsEveryTransitionUpToTheLargestRing() {
        KvmRunTrace t = new KvmRunTrace();
        int transitions = 1000;
        for (int i = 0; i < transitions; i++) {
            if ((i & 1) == 0) t.enter(10L * (i + 1));
            else t.leave(10L * (i + 1));
        }
        assertEquals(1024, t.capacity(), "doubled from " + KvmRunTrace.INITIAL_CAPACITY + " as far as 1,000 transitions needed");
        for (int i = 0; i < transitions; i++) {
            assertEquals((i & 1) == 0 ? INSIDE : OUTSIDE, t.stateAt(10L * (i + 1) + 5), "transition " + i);
        }
        assertEquals(OUTSIDE, t.stateAt(5), "before the first enter, which is still held");
        assertEquals(transitions / 2, t.leavesBetween(0, 10L * transitions));
        long grown = t.growthBytes();
        for (int i = transitions; i < 4 * KvmRunTrace.MAX_CAPACITY; i++) { // to the largest ring and round it
            if ((i & 1) == 0) t.enter(10L * (i + 1));
            else t.leave(10L * (i + 1));
        }
        assertEquals(KvmRunTrace.MAX_CAPACITY, t.capacity());
        // The arrays of 128 … 8,192 longs, as the JVM counts this thread's allocation: about 128 KiB, never more.
        assertTrue(grown > 8 * 1024 && t.growthBytes() >= 8L * (2 * KvmRunTrace.MAX_CAPACITY - 2 * KvmRunTrace.INITIAL_CAPACITY),
                grown + " then " + t.growthBytes() + " bytes");
        assertTrue(t.growthBytes() < 8L * 2 * KvmRunTrace.MAX_CAPACITY + 4096, t.growthBytes() + " bytes");
    }

    @Test
    void aReaderBesideTheWriterGetsTheTruthOrUnknownWhileTheRingGrowsAndWraps() throws Exception {
        AtomicReference<KvmRunTrace> current = new AtomicReference<>(new KvmRunTrace());
        AtomicLong progress = new AtomicLong(); // transitions of `current` written, published after each
        AtomicLong checked = new AtomicLong();
        AtomicReference<String> wrong = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            for (int round = 0; round < 40; round++) {
                KvmRunTrace t = new KvmRunTrace();
                progress.set(0);
                current.set(t);
                for (int i = 0; i < 3 * KvmRunTrace.MAX_CAPACITY; i++) {
                    if ((i & 1) == 0) t.enter(10L * (i + 1));
                    else t.leave(10L * (i + 1));
                    progress.set(i + 1);
                }
            }
        });
        Thread reader = Thread.ofPlatform().start(() -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (writer.isAlive() && wrong.get() == null) {
                KvmRunTrace t = current.get();
                long p = progress.get();
                if (current.get() != t || p == 0) continue;
                long oldest = Math.max(0, p - KvmRunTrace.MAX_CAPACITY);
                // Half the questions are about the oldest transitions, which the writer is overwriting.
                long i = random.nextBoolean() ? random.nextLong(oldest, p) : Math.min(p - 1, oldest + random.nextLong(128));
                int state = t.stateAt(10L * (i + 1) + 5);
                long after = progress.get();
                if (current.get() != t) continue;
                int expected = (i & 1) == 0 ? INSIDE : OUTSIDE;
                boolean mayBeGone = i < after - KvmRunTrace.MAX_CAPACITY + 64;
                if (state != expected && !(state == UNKNOWN && mayBeGone)) {
                    wrong.set("transition " + i + " of " + p + "-" + after + ": " + state + " instead of " + expected);
                }
                checked.incrementAndGet();
            }
        });
        writer.join();
        reader.join();
        assertEquals(null, wrong.get());
        assertTrue(checked.get() > 1000, "the reader checked " + checked.get() + " answers");
    }
}
