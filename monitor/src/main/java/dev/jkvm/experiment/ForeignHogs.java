package dev.jkvm.experiment;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.host.TaskRunTime;
import dev.jkvm.util.SuddenExit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real foreign load for an experiment ({@code --foreign-hog N}): N busy shell processes pinned to
 * the experiment CPU for the run, so the VMs share it with tasks that are not theirs — the
 * situation the run hygiene measures and a regression suite must be able to provoke. A shell loop
 * of builtins forks nothing, so each hog is exactly one task. Owned by one run: started before the
 * VMs, killed and reaped by {@link #close()}, which also reads each hog's own run time
 * (/proc/PID/schedstat) — an account independent of jkvm's measurement.
 */
public final class ForeignHogs implements AutoCloseable {
    /** More would be a fork bomb by typo; an experiment needs a few. */
    public static final int MAX = 16;
    /**
     * Builtins only; every 20,000 rounds (about 50 ms of one CPU here) the hog checks that jkvm, its
     * parent, is still there and ends when it is not: a jkvm killed by SIGKILL or crashed, which
     * cannot kill its hogs, leaves none spinning on the experiment CPU.
     */
    static final String HOG_LOOP = "i=0; while :; do i=$((i+1)); if [ $i -ge 20000 ]; then i=0; kill -0 $PPID 2>/dev/null || exit 0; fi; done";

    private final List<Process> processes;
    private final int cpu;
    private long runNanos = -1;

    private ForeignHogs(List<Process> processes, int cpu) {
        this.processes = processes;
        this.cpu = cpu;
    }

    /** No hogs: nothing to start or stop. */
    public static ForeignHogs none() {
        return new ForeignHogs(List.of(), -1);
    }

    /** Starts {@code count} hogs pinned to {@code cpu}; on any failure the ones started are killed. */
    public static ForeignHogs start(int count, int cpu) {
        List<Process> started = new ArrayList<>();
        ForeignHogs hogs = new ForeignHogs(started, cpu);
        try {
            BitSet only = new BitSet();
            only.set(cpu);
            for (int i = 0; i < count; i++) {
                Process p = new ProcessBuilder("/bin/sh", "-c", HOG_LOOP)
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectErrorStream(true)
                        .start();
                started.add(p);
                SuddenExit.killOnHalt(p);
                Syscalls.setAffinity((int) p.pid(), only);
            }
            return hogs;
        } catch (IOException e) {
            hogs.close();
            throw new UncheckedIOException("cannot start a foreign hog (/bin/sh): " + e.getMessage(), e);
        } catch (RuntimeException e) {
            hogs.close();
            throw e;
        }
    }

    public int count() {
        return processes.size();
    }

    /** The hogs' summed run time by their own schedstat, read when they were stopped; -1 before or without. */
    public long runNanos() {
        return runNanos;
    }

    /**
     * One line for the run's summary, or null without hogs. The hogs run from before the VMs are
     * created to after they stop, so this is more than their time in the run (a 2 s run: 1.456 s
     * here, 0.668 s of it inside the run by the sched_switch copy), and says so.
     */
    public String describe() {
        if (processes.isEmpty()) return null;
        return "foreign hog: " + processes.size() + (processes.size() == 1 ? " process" : " processes") + " on CPU " + cpu
                + (runNanos >= 0 ? String.format(" ran %.3f s in all by their own schedstat, from before the VMs were made to after"
                        + " they stopped (their time in the run is the foreign time of the hygiene line and of jkvm analyze)", runNanos / 1e9) : "");
    }

    @Override
    public void close() {
        if (processes.isEmpty() || runNanos >= 0) return;
        long sum = 0;
        boolean any = false;
        for (Process p : processes) {
            long t = runTime(p.pid());
            if (t >= 0) {
                sum += t;
                any = true;
            }
            p.destroyForcibly();
            SuddenExit.forget(p);
        }
        for (Process p : processes) {
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        runNanos = any ? sum : 0;
    }

    private static long runTime(long pid) {
        try {
            return TaskRunTime.parse(Files.readString(Path.of("/proc/" + pid + "/schedstat")));
        } catch (IOException e) {
            return -1;
        }
    }
}
