package dev.jkvm.analysis;

import dev.jkvm.jfr.JfrProfiles;
import dev.jkvm.jfr.KernelSchedSwitch;
import dev.jkvm.jfr.PerfRecordsLost;
import dev.jkvm.jfr.RecorderSummary;
import dev.jkvm.jfr.StealTime;
import dev.jkvm.jfr.VcpuExitStats;
import dev.jkvm.jfr.VcpuSchedIn;
import dev.jkvm.jfr.VcpuSchedOut;
import dev.jkvm.jfr.VmEnd;
import dev.jkvm.jfr.VmStart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import jdk.jfr.Recording;

/**
 * A schedule of vCPUs on one CPU with exactly known times (a lane {@code vm0} is a VM's only vCPU,
 * {@code vm0/cpu1} a vCPU of an SMP VM), written as real jkvm JFR
 * events (committed in a shuffled order, split over chunks if asked) so the analysis has to sort by
 * kernel time. The expected numbers are computed here directly from the schedule, independently of
 * the analysis: slices, waits, shares.
 */
final class SyntheticSchedule {
    static final int CPU = 1;
    static final long T0 = 5_000_000_000L;
    static final long GAP = 10_000;

    record Slice(String vm, long in, long out, boolean preempted, String switchClass, int cpu) {}

    final List<Slice> slices = new ArrayList<>();
    final Map<String, Integer> nice = new LinkedHashMap<>();
    final List<Runnable> extras = new ArrayList<>();
    boolean summary = true;
    /** Write each sched-in's class as a separate jkvm.VcpuSwitch, as recordings before 2026-11-27 did (default: in the sched-in). */
    boolean legacySwitchEvents;
    /** Commit in a random order (default), or in time order as the recorder does. */
    boolean shuffle = true;
    long lost;
    /** The RecorderSummary's helper failures, one a line (null: the field left unset, as a recorder without failures leaves it empty). */
    String failures;
    private long t = T0;
    private String last;
    private final Map<String, Boolean> seen = new HashMap<>();

    SyntheticSchedule vm(String vm, int niceValue) {
        nice.put(vm, niceValue);
        return this;
    }

    /** The vCPU of vm runs for len ns starting GAP after the previous slice, then is preempted (or blocks). */
    SyntheticSchedule run(String vm, long len, boolean preempted) {
        return runOn(CPU, vm, len, preempted);
    }

    /** As {@link #run(String, long, boolean)}, on {@code cpu}. */
    SyntheticSchedule runOn(int cpu, String vm, long len, boolean preempted) {
        String c = !seen.containsKey(vm) ? "first run" : vm.equals(last) ? "same vCPU resumed" : "switched from another vCPU";
        seen.put(vm, true);
        slices.add(new Slice(vm, t, t + len, preempted, c, cpu));
        t += len + GAP;
        last = vm;
        return this;
    }

    SyntheticSchedule run(String vm, long len) {
        return run(vm, len, true);
    }

    /** A task that is not a vCPU runs for len ns on the CPU (sched_switch copy). */
    SyntheticSchedule foreign(String comm, long len) {
        long start = t;
        extras.add(() -> kernelSwitch(start, 4242, comm, ""));
        extras.add(() -> kernelSwitch(start + len, 0, "swapper/1", ""));
        t += len + GAP;
        last = null;
        return this;
    }

    long now() {
        return t;
    }

    // ---- the expected numbers, straight from the schedule ----

    List<Long> slicesOf(String vm) {
        return slices.stream().filter(s -> s.vm.equals(vm)).map(s -> s.out - s.in).toList();
    }

    List<Long> waitsOf(String vm) {
        List<Long> w = new ArrayList<>();
        Slice prev = null;
        for (Slice s : slices) {
            if (!s.vm.equals(vm)) continue;
            if (prev != null && prev.preempted) w.add(s.in - prev.out);
            prev = s;
        }
        return w;
    }

    long window() {
        return slices.get(slices.size() - 1).out - slices.get(0).in;
    }

    double shareOf(String vm) {
        return slicesOf(vm).stream().mapToLong(Long::longValue).sum() / (double) window();
    }

    // ---- writing it ----

    Path write(Path file, int chunks) throws Exception {
        List<Runnable> commits = new ArrayList<>();
        for (var e : nice.entrySet()) {
            commits.add(() -> {
                VmStart s = new VmStart();
                s.vm = e.getKey(); s.guest = "spin"; s.mode = "real"; s.tid = tid(e.getKey()); s.cpu = CPU; s.nice = e.getValue();
                s.commit();
            });
        }
        for (Slice s : slices) {
            commits.add(() -> {
                VcpuSchedIn in = new VcpuSchedIn();
                in.vm = vmOf(s.vm); in.vcpu = vcpuOf(s.vm); in.tid = tid(s.vm); in.cpu = s.cpu; in.inKvmRun = true;
                if (!legacySwitchEvents) in.switchClass = s.switchClass;
                at(in, s.in);
                in.commit();
            });
            if (legacySwitchEvents) {
                commits.add(() -> {
                    LegacyVcpuSwitch sw = new LegacyVcpuSwitch();
                    sw.vm = vmOf(s.vm); sw.vcpu = vcpuOf(s.vm); sw.cpu = s.cpu; sw.switchClass = s.switchClass;
                    at(sw, s.in);
                    sw.commit();
                });
            }
            commits.add(() -> {
                VcpuSchedOut out = new VcpuSchedOut();
                out.vm = vmOf(s.vm); out.vcpu = vcpuOf(s.vm); out.tid = tid(s.vm); out.cpu = s.cpu; out.preempted = s.preempted;
                at(out, s.out);
                out.inKvmRun = true;
                out.commit();
            });
        }
        commits.addAll(extras);
        for (String vm : nice.keySet()) {
            commits.add(() -> {
                VmEnd e = new VmEnd();
                e.vm = vm; e.guest = "spin"; e.result = "stopped after the run's duration"; e.clean = true; e.progress = 1;
                e.commit();
            });
        }
        if (lost > 0) {
            commits.add(() -> {
                PerfRecordsLost l = new PerfRecordsLost();
                l.source = "switches of vcpu-vm1-0"; l.lost = lost;
                l.commit();
            });
        }
        if (summary) {
            commits.add(() -> {
                RecorderSummary r = new RecorderSummary();
                r.switchRecords = 2L * slices.size(); r.lostRecords = lost;
                r.failures = failures;
                r.commit();
            });
        }
        if (shuffle) java.util.Collections.shuffle(commits, new Random(42));
        int per = (commits.size() + chunks - 1) / chunks;
        List<Path> parts = new ArrayList<>();
        // Later parts are written first, so the file's chunks are not in time order either.
        for (int c = chunks - 1; c >= 0; c--) {
            Path part = file.resolveSibling(file.getFileName() + ".part" + c);
            try (Recording r = new Recording(JfrProfiles.load(JfrProfiles.FULL))) {
                r.start();
                for (int i = c * per; i < Math.min(commits.size(), (c + 1) * per); i++) commits.get(i).run();
                r.stop();
                r.dump(part);
            }
            parts.add(part);
        }
        Files.deleteIfExists(file);
        for (Path p : parts) {
            Files.write(file, Files.readAllBytes(p), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Files.delete(p);
        }
        return file;
    }

    /**
     * Sets an event's kernel moment: kernelTime, and monotonicNanos too where the event class has it
     * (where kernelTime is a JFR timestamp the analysis reads the raw nanoseconds from monotonicNanos).
     */
    static void at(Object event, long monotonicNanos) {
        try {
            for (String name : new String[] {"kernelTime", "monotonicNanos"}) {
                try {
                    event.getClass().getField(name).setLong(event, monotonicNanos);
                } catch (NoSuchFieldException absent) {
                    // Not every jkvm recording format has both.
                }
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    static int tid(String vm) {
        return 1000 + Integer.parseInt(vm.replaceAll("\\D", ""));
    }

    static void kernelSwitch(long time, int nextTid, String nextComm, String nextVm) {
        KernelSchedSwitch k = new KernelSchedSwitch();
        at(k, time);
        k.cpu = CPU; k.prevTid = 1; k.prevComm = "x"; k.prevState = "R"; k.prevVm = "";
        k.nextTid = nextTid; k.nextComm = nextComm; k.nextVm = nextVm;
        k.commit();
    }

    static void exitStats(String vm, String reason, long count, long p99, long max) {
        VcpuExitStats e = new VcpuExitStats();
        e.vm = vm; e.vcpu = 0; e.reason = reason; e.count = count; e.p99 = p99; e.max = max; e.mean = p99 / 2;
        e.commit();
    }

    static void guestGap(String vm, long gap) {
        dev.jkvm.jfr.GuestGap g = new dev.jkvm.jfr.GuestGap();
        g.vm = vm; g.gap = gap; g.gapCycles = gap * 3; g.tscHz = 3_000_000_000L;
        g.commit();
    }

    static void steal(String vm, long steal) {
        StealTime s = new StealTime();
        s.vm = vm; s.vcpu = 0; s.steal = steal; s.stealDelta = steal; s.version = 2;
        s.commit();
    }

    /** The VM of a lane named {@code vm0} or {@code vm0/cpu1} (a vCPU of an SMP VM). */
    static String vmOf(String lane) {
        int slash = lane.indexOf("/cpu");
        return slash < 0 ? lane : lane.substring(0, slash);
    }

    /** The vCPU index of a lane: 0 for {@code vm0}, K for {@code vm0/cpuK}. */
    static int vcpuOf(String lane) {
        int slash = lane.indexOf("/cpu");
        return slash < 0 ? 0 : Integer.parseInt(lane.substring(slash + 4));
    }

    static void linuxSteal(String vm, long guestSteal, long hostWait) {
        dev.jkvm.jfr.LinuxWorkloadSteal s = new dev.jkvm.jfr.LinuxWorkloadSteal();
        s.vm = vm; s.vcpu = 0; s.guestSteal = guestSteal; s.hostRunQueueWait = hostWait;
        s.commit();
    }

    /** Runs an event commit in the schedule's extras (any event type). */
    SyntheticSchedule also(Runnable commit) {
        extras.add(commit);
        return this;
    }

}
