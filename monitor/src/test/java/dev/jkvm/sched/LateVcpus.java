package dev.jkvm.sched;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Test-side diagnosis of vCPU threads that do not reach their guests: while a run goes on, reads this
 * process's vCPU threads' kernel stacks ({@code /proc/self/task/T/stack}, root only: a thread inside
 * KVM_RUN has kvm_vcpu_ioctl on it, runnable or not). Once the guests run and {@code patience} later
 * some vCPU thread was never seen inside KVM_RUN, it notes, at that moment, each such thread's
 * scheduler state, kernel stack and schedstat (time run, time waited on a run queue, slices): whether
 * it sleeps on something (and on what) or waits for the CPU. Reading them stops nothing, so the run
 * goes on as it would have; a tracer that attaches (eu-stack, gdb) cannot stop a thread that waits
 * for the shared CPU in time anyway.
 */
final class LateVcpus implements AutoCloseable {
    private final long patienceNanos;
    private final Thread watcher;
    private volatile boolean done;
    private volatile String report = "";

    private LateVcpus(long patienceNanos) {
        this.patienceNanos = patienceNanos;
        this.watcher = Thread.ofPlatform().daemon(true).name("late-vcpus").start(this::watch);
    }

    static LateVcpus watch(long patience, TimeUnit unit) {
        return new LateVcpus(unit.toNanos(patience));
    }

    private void watch() {
        Set<Integer> entered = new HashSet<>(), others = new HashSet<>(); // vCPU threads seen inside KVM_RUN; the process's other threads
        long guestsRunSince = 0;
        try {
            while (!done) {
                Map<Integer, String> outside = new TreeMap<>(); // TID → how it is, for vCPU threads never seen inside KVM_RUN
                try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                    for (Path t : tasks.toList()) {
                        // Only the vCPU threads not yet in their guests are read: the watcher's own garbage
                        // brings the test JVM's next collection nearer.
                        int tid = Integer.parseInt(t.getFileName().toString());
                        if (entered.contains(tid) || others.contains(tid)) continue;
                        String comm = read(t.resolve("comm"));
                        if (comm == null || !comm.startsWith("vcpu-vm")) {
                            // Once guests run every vCPU thread has its name (a new thread shows its creator's at first).
                            if (comm != null && guestsRunSince != 0) others.add(tid);
                            continue;
                        }
                        String stack = read(t.resolve("stack"));
                        if (stack != null && stack.contains("kvm_vcpu_ioctl")) {
                            entered.add(tid);
                        } else {
                            outside.put(tid, comm + ": " + state(t) + ", " + schedstat(t) + ", kernel stack " + frames(stack));
                        }
                    }
                }
                if (!entered.isEmpty() && guestsRunSince == 0) guestsRunSince = System.nanoTime();
                if (guestsRunSince != 0 && System.nanoTime() - guestsRunSince >= patienceNanos) {
                    StringBuilder b = new StringBuilder();
                    outside.forEach((tid, how) -> b.append("\n  TID ").append(tid).append(' ').append(how));
                    report = b.toString();
                    return;
                }
                Thread.sleep(20);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            report = "\n  the late-vCPU watcher failed: " + e;
        }
    }

    /** The scheduler state letter from the task's stat line: R running or waiting for a CPU, S asleep, D uninterruptible. */
    private static String state(Path task) {
        String stat = read(task.resolve("stat"));
        return stat == null ? "gone" : "state " + stat.substring(stat.lastIndexOf(')') + 1).strip().charAt(0);
    }

    /** "run ns, wait ns, slices" of /proc/…/schedstat, in ms. */
    private static String schedstat(Path task) {
        String s = read(task.resolve("schedstat"));
        if (s == null) return "no schedstat";
        String[] f = s.split("\\s+");
        return String.format("ran %.1f ms, waited for a CPU %.1f ms, %s slices", Long.parseLong(f[0]) / 1e6, Long.parseLong(f[1]) / 1e6, f[2]);
    }

    /** "[<0>] futex_wait_queue+0x6c/0xa0" lines → "futex_wait_queue < …", "?" when unreadable. */
    private static String frames(String stack) {
        if (stack == null || stack.isBlank()) return "?";
        StringBuilder b = new StringBuilder();
        for (String line : stack.split("\n")) {
            b.append(b.isEmpty() ? "" : " < ").append(line.replaceFirst("^\\[<[0-9a-f]+>\\]\\s*", "").replaceFirst("\\+0x.*$", ""));
        }
        return b.toString();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return null; // the thread ended meanwhile
        }
    }

    /** One line per vCPU thread not yet in its guest when the patience ran out; "" when all were (or the run ended first). */
    String report() {
        return report;
    }

    @Override
    public void close() throws InterruptedException {
        done = true;
        watcher.join();
    }
}
