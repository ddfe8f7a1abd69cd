package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.Syscalls;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The error path: an experiment that fails after the recorder started closes it without the
 * orderly stopAndFlush. close() must stop and join the recorder thread before it unmaps the rings
 * that thread drains; unmapping first crashes the JVM (SIGSEGV in the drain). Real perf rings of
 * threads that switch all the time, closed at random moments of the recorder's passes. Needs
 * perf_event_open on this process's threads (tagged with the KVM tests, which run where that works).
 */
@Tag("kvm")
class SchedRecorderCloseKvmTest {
    @Test
    void closingARunningRecorderJoinsItsThreadBeforeUnmapping() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        Thread busy = Thread.ofPlatform().daemon(true).start(() -> {
            while (!done.get()) Thread.yield();
        });
        try {
            int tid = -1;
            // The switching thread's TID, through a thread that publishes it.
            int[] box = new int[1];
            Thread sleeper = Thread.ofPlatform().daemon(true).start(() -> {
                box[0] = Syscalls.gettid();
                while (!done.get()) {
                    try {
                        Thread.sleep(0, 100_000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            while (box[0] == 0) Thread.onSpinWait();
            tid = box[0];
            StringWriter notices = new StringWriter();
            long records = 0;
            for (int round = 0; round < 200; round++) {
                SchedRecorder r = new SchedRecorder(new PrintWriter(notices), new BitSet(), null, new dev.jkvm.util.HelperFailures(new PrintWriter(notices)));
                r.attach(new VcpuId("vm0", 0, tid), new KvmRunTrace(), false, null);
                r.start();
                java.util.concurrent.locks.LockSupport.parkNanos((round % 20) * 100_000L); // close at different moments of a pass
                records += r.live().switchRecords();
                r.close();
            }
            assertTrue(notices.toString().isEmpty(), notices.toString());
            assertTrue(records > 0, "the rings had records to drain while they were closed");
            sleeper.interrupt();
        } finally {
            done.set(true);
            busy.join();
        }
    }
}
