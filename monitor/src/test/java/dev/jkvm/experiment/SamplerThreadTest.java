package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The guest samplers' polling thread: polls until stopped, and a failure ends the polling only, handed over once. */
class SamplerThreadTest {

    @Test
    void pollsUntilStoppedAndNotAfterTheJoin() throws InterruptedException {
        AtomicInteger polls = new AtomicInteger();
        CountDownLatch three = new CountDownLatch(3);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        SamplerThread t = new SamplerThread("test-sampler", () -> {
            polls.incrementAndGet();
            three.countDown();
        }, failures::add);
        t.start();
        assertTrue(three.await(10, TimeUnit.SECONDS), "polled " + polls.get() + " times in 10 s");
        t.stopAndJoin();
        int atStop = polls.get();
        Thread.sleep(3 * SamplerThread.POLL_NANOS / 1_000_000);
        assertEquals(atStop, polls.get(), "a poll after stopAndJoin returned");
        assertEquals(List.of(), failures);
    }

    @Test
    void aFailureIsHandedOverOnceAndEndsThePolling() throws InterruptedException {
        AtomicInteger polls = new AtomicInteger();
        StackOverflowError thrown = new StackOverflowError("deep");
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        CountDownLatch handed = new CountDownLatch(1);
        SamplerThread t = new SamplerThread("test-sampler", () -> {
            if (polls.incrementAndGet() == 2) throw thrown; // an Error, not only exceptions
        }, e -> {
            failures.add(e);
            handed.countDown();
        });
        t.start();
        assertTrue(handed.await(10, TimeUnit.SECONDS), "the failure never reached the sampler");
        Thread.sleep(3 * SamplerThread.POLL_NANOS / 1_000_000);
        assertEquals(2, polls.get(), "polling went on after the failure");
        assertEquals(1, failures.size());
        assertSame(thrown, failures.get(0));
        t.stopAndJoin(); // the thread has ended: returns at once
    }

    @Test
    void aSamplerThatNeverStartedStopsAtOnce() throws InterruptedException {
        SamplerThread t = new SamplerThread("test-sampler", () -> { throw new AssertionError("polled"); }, e -> { throw new AssertionError(e); });
        t.stopAndJoin();
        t.close();
    }
}
