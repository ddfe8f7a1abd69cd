package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The parallel creation's bookkeeping: each index once, index order, every creation handed over on a failure. */
class VmCreationTest {

    @Test
    void createsEveryIndexOnceInIndexOrderOnSeveralThreads() throws InterruptedException {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(4);
        List<Integer> made = new ArrayList<>();
        VmCreation.createAll(100, 4, new BitSet(), i -> {
            calls.incrementAndGet();
            if (threads.add(Thread.currentThread().getName())) {
                // Each creator's first creation waits for the other three's: none can take a second index
                // before all four have one, so all four (the caller too) create at once.
                all.countDown();
                try {
                    if (!all.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("the four creators never overlapped: " + threads);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            return i;
        }, () -> false, made);
        assertEquals(IntStream.range(0, 100).boxed().toList(), made);
        assertEquals(100, calls.get());
        assertEquals(4, threads.size(), "created on " + threads);
        assertTrue(threads.contains(Thread.currentThread().getName()), "the caller creates too: " + threads);
    }

    @Test
    void fewVmsAreCreatedByTheCallerAlone() throws InterruptedException {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        List<Integer> made = new ArrayList<>();
        VmCreation.createAll(VmCreation.MIN_PARALLEL - 1, 4, new BitSet(), i -> {
            threads.add(Thread.currentThread().getName());
            return i;
        }, () -> false, made);
        assertEquals(IntStream.range(0, VmCreation.MIN_PARALLEL - 1).boxed().toList(), made);
        assertEquals(Set.of(Thread.currentThread().getName()), threads);
    }

    @Test
    void aFailureStopsTheCreationHandsOverWhatWasMadeAndThrowsTheLowestIndexsFailure() {
        IllegalStateException at7 = new IllegalStateException("VM 7");
        List<Integer> made = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> VmCreation.createAll(1000, 4, new BitSet(), i -> {
            calls.incrementAndGet();
            if (i == 7) throw at7;
            if (i > 7 && i % 5 == 0) throw new IllegalStateException("VM " + i);
            return i;
        }, () -> false, made));
        assertSame(at7, thrown);
        assertTrue(calls.get() < 1000, "creation went on after the failure: " + calls.get() + " calls");
        assertTrue(made.containsAll(List.of(0, 1, 2, 3, 4, 5, 6)), "made before the failure: " + made);
        assertTrue(!made.contains(7) && made.stream().noneMatch(i -> i > 7 && i % 5 == 0), String.valueOf(made));
        assertEquals(made.stream().sorted().toList(), made, "index order");
    }

    @Test
    void anErrorIsRethrownAsItIs() {
        OutOfMemoryError oom = new OutOfMemoryError("no room");
        List<Integer> made = new ArrayList<>();
        assertSame(oom, assertThrows(OutOfMemoryError.class, () -> VmCreation.createAll(20, 4, new BitSet(), i -> {
            if (i == 0) throw oom;
            return i;
        }, () -> false, made)));
    }

    @Test
    void aStopEndsTheCreationEarlyWithoutAFailure() throws InterruptedException {
        AtomicInteger calls = new AtomicInteger();
        List<Integer> made = new ArrayList<>();
        VmCreation.createAll(1000, 4, new BitSet(), i -> {
            calls.incrementAndGet();
            return i;
        }, () -> calls.get() >= 10, made);
        assertTrue(made.size() >= 10 && made.size() < 20, "made " + made.size());
        assertEquals(made.stream().sorted().toList(), made, "index order");
    }
}
