package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.sched.CpuPlacement;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TeardownTest {

    @Test
    void everyItemIsClosedOnceAndTheClosersRunAtTheSameTime() throws Exception {
        BitSet cpus = CpuPlacement.allowed();
        int closers = Math.max(Teardown.MIN_CLOSERS, cpus.cardinality()); // more than CPUs: the kernel's closing mostly waits
        // Each of the first items waits until as many items are being closed as there are closers: the
        // teardown only finishes if they really run side by side.
        CountDownLatch together = new CountDownLatch(closers);
        List<AtomicInteger> closes = new ArrayList<>();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        List<AutoCloseable> items = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            AtomicInteger n = new AtomicInteger();
            closes.add(n);
            boolean waits = i < closers;
            items.add(() -> {
                threads.add(Thread.currentThread().getName());
                if (waits) {
                    together.countDown();
                    assertTrue(together.await(10, TimeUnit.SECONDS), "the closers did not run at the same time");
                }
                n.incrementAndGet();
            });
        }
        Teardown.start(items, cpus).await();
        for (AtomicInteger n : closes) assertEquals(1, n.get());
        assertEquals(closers, threads.size(), "closer threads: " + threads);
        assertTrue(threads.stream().noneMatch(t -> t.equals(Thread.currentThread().getName())), "closed on the caller's thread");
    }

    @Test
    void aFailureIsRethrownAfterEveryOtherItemWasClosed() {
        IllegalStateException broken = new IllegalStateException("munmap failed");
        AtomicInteger closed = new AtomicInteger();
        List<AutoCloseable> items = new ArrayList<>();
        items.add(() -> {
            throw broken;
        });
        for (int i = 0; i < 20; i++) items.add(closed::incrementAndGet);
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> Teardown.start(items, new BitSet()).await());
        assertSame(broken, thrown);
        assertEquals(20, closed.get());
    }
}
