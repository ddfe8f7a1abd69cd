package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.exits.GuestResult;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * VM create/run/destroy cycles in one JVM (issue 8): after them, the process holds the same file
 * descriptors, threads and memory mappings as before (read from /proc/self), and its resident memory
 * is flat within a stated bound. A VM, vCPU, stats fd, mapping or thread left behind per cycle shows.
 */
@Tag("kvm")
class ChurnKvmTest {
    /** Runs of an experiment; each creates, runs and destroys {@link #VMS_PER_RUN} VMs. */
    static final int RUNS = 500;
    static final int VMS_PER_RUN = 4;
    /** Mappings the JVM itself may add while it runs (heap and code cache growth); a leak adds ≥ 1 per VM. */
    static final int MAPPINGS_SLACK = 16;
    /** RSS growth allowed over the second half of the runs (1000 VMs): a leak of more than 32 KiB a VM fails it. */
    static final long RSS_SLACK_KIB = 32 << 10;

    record Counts(long fds, long tasks, long mappings, long rssKiB) {}

    static Counts counts() throws IOException {
        long fds, tasks = 0;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.count();
        }
        try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : s.toList()) {
                String comm;
                try {
                    comm = Files.readString(t.resolve("comm")).strip();
                } catch (IOException gone) {
                    continue;
                }
                // The JIT starts and stops compiler threads as it likes; they are not ours.
                if (!comm.contains("CompilerThre")) tasks++;
            }
        }
        long mappings = Files.readAllLines(Path.of("/proc/self/maps")).size();
        long rss = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
        return new Counts(fds, tasks, mappings, rss);
    }

    static void runOnce(GuestImage hello) throws InterruptedException {
        List<ExperimentSpec.VmSpec> vms = new ArrayList<>();
        for (int i = 0; i < VMS_PER_RUN; i++) vms.add(new ExperimentSpec.VmSpec(hello, hello.manifest().memory(), 0, null));
        ExperimentReport r = new Experiment(new ExperimentSpec(vms, null, OptionalInt.empty(), null, null, false),
                new PrintWriter(new StringWriter())).run();
        for (VmReport vm : r.vms()) assertInstanceOf(GuestResult.Halted.class, vm.result(), vm.name());
    }

    static Counts settled() throws Exception {
        System.gc();
        Thread.sleep(200); // threads that just ended leave /proc/self/task a moment later
        return counts();
    }

    @Test
    void createRunDestroyCyclesLeaveNothingBehind() throws Exception {
        GuestImage hello = GuestCatalog.resolve("hello");
        for (int i = 0; i < 10; i++) runOnce(hello); // warm up: classes, JIT, JFR's and the recorder's one-time threads
        Counts before = settled();
        long t0 = System.nanoTime();
        for (int i = 0; i < RUNS / 2; i++) runOnce(hello);
        Counts half = settled();
        for (int i = RUNS / 2; i < RUNS; i++) runOnce(hello);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        Counts after = settled();
        System.out.printf("churn: %d runs × %d VMs (%d VMs) in %d ms; before %s, halfway %s, after %s%n",
                RUNS, VMS_PER_RUN, RUNS * VMS_PER_RUN, millis, before, half, after);
        assertEquals(before.fds(), after.fds(), "open file descriptors");
        // A leak adds threads; the JVM may retire one of its own meanwhile (an idle pool worker, a reaper).
        assertTrue(after.tasks() <= before.tasks(), "threads (compiler threads aside): " + before.tasks() + " → " + after.tasks());
        assertTrue(after.mappings() <= before.mappings() + MAPPINGS_SLACK, "mappings " + before.mappings() + " → " + after.mappings());
        // The JVM's heap grows in steps early on; a leak keeps growing, so the second half is compared with the first.
        assertTrue(after.rssKiB() <= half.rssKiB() + RSS_SLACK_KIB, "RSS " + half.rssKiB() + " → " + after.rssKiB() + " KiB over the second half");
    }
}
