package dev.jkvm.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The analysis of one recording, fed event by event by a reader (the JDK's {@code RecordingFile} or
 * JMC's item collection) in any order. Switches are put into kernel-time order through a
 * {@link TimeSpool} and replayed through one state machine per vCPU (on CPU → preempted: runnable →
 * on CPU, or → blocked → on CPU); everything else is folded as it arrives. Memory is bounded: fixed
 * histograms, per-vCPU and per-reason counters, and the spool's buffer. Switch times are the
 * kernelTime fields, never the events' start times.
 */
public final class ScheduleAnalyzer implements AutoCloseable {
    /** A record committed this long after the moment it describes counts as late. */
    public static final long LATE_NANOS = 50_000_000;
    /** Records the spool keeps in memory (8 MiB) before it sorts them to a temporary file. */
    public static final int DEFAULT_BUFFER = 1 << 20;

    /** Segment states handed to a {@link TimelineSink}. */
    public static final int ON_CPU = 0, RUNNABLE = 1, BLOCKED = 2;
    /** Switch classes, as {@link TimelineSink#mark} gets them. */
    public static final int FIRST_RUN = 0, SAME_VCPU = 1, OTHER_VCPU = 2, UNKNOWN_CLASS = 3;

    // Spool kinds, in the order records of one instant replay: outs, kernel switches, ins, classes.
    private static final int K_OUT_PREEMPTED = 0, K_OUT_BLOCKED = 1, K_FOREIGN_IN = 2, K_OTHER_IN = 3, K_IDLE_IN = 4, K_IN = 5, K_CLASS = 6;
    private static final int UNKNOWN = -1;

    private final String source;
    private final TimeSpool spool;
    /** Exit moments for the picture (JFR start times, mapped to kernel time at the end); null when not wanted. */
    private TimeSpool exitTimes;
    private final List<String> exitReasons = new ArrayList<>();
    private final List<Lane> lanes = new ArrayList<>();
    private final Map<String, Integer> laneIds = new HashMap<>();
    private final List<Vcpu> vcpus = new ArrayList<>();
    private final Map<String, Integer> vcpuIds = new HashMap<>();
    private final Map<String, VmInfo> vms = new TreeMap<>(VmOrder.NATURAL);
    private final Map<String, Long> lostBySource = new TreeMap<>();
    private long clockOffset = Long.MAX_VALUE;
    private String lastVm;
    private int lastVcpu = Integer.MIN_VALUE, lastVcpuId;
    private long lateRecords, maxLag;
    private boolean lastLate;
    private boolean recorderSummary, kernelSwitches;
    private String helperFailures;
    private long switchRecords, summaryLost;

    /** A spool lane: a vCPU on a CPU, a foreign task on a CPU, or a CPU itself. */
    private record Lane(int vcpu, int cpu, String comm) {}

    private static final class VmInfo {
        int nice, tid = -1;
        boolean started;
        String result = "";
        long progress = -1, gaps, gapTotal, gapMax;
        boolean hasGaps;
    }

    private static final class ExitAcc {
        final LogHistogram handling = new LogHistogram();
        long statsCount, statsMean, statsP99, statsMax;
    }

    private static final class Vcpu {
        final String vm;
        final int vcpu;
        int tid = -1;
        /** The CPU of its latest switch: where it waits while runnable. */
        int cpu = -1;
        /**
         * Its run time on each CPU it ran on ({@code ranOn[i]} for {@code runOn[i]}, {@code cpusRun} of
         * them; as many as its lanes, which are bounded): the report's CPU is the one it ran on
         * longest, not the last one, which in a pinned run is where its thread went to end.
         */
        int[] ranOn = new int[1];
        long[] runOn = new long[1];
        int cpusRun;
        int state = UNKNOWN;
        /** The spool lane of this vCPU on the CPU it was last seen on. */
        int lane, laneCpu = Integer.MIN_VALUE;
        long since, run, wait, sleep, schedIns, preemptedOuts, voluntaryOuts, foreignWhileRunnable, steal = -1, linuxGuestSteal = -1, linuxHostWait = -1;
        final long[] classes = new long[4];
        final LogHistogram slices = new LogHistogram();
        final LogHistogram waits = new LogHistogram();
        final LogHistogram wakeups = new LogHistogram();
        long missedTicks;
        final Map<String, ExitAcc> exits = new TreeMap<>();

        Vcpu(String vm, int vcpu) {
            this.vm = vm;
            this.vcpu = vcpu;
        }
    }

    private static final class CpuState {
        int lastOutVcpu = -1;
        long lastOutTime;
        int foreignLane = -1;
        long foreignSince;
        long idleSince = -1;
    }

    public ScheduleAnalyzer(String source) {
        this(source, DEFAULT_BUFFER);
    }

    public ScheduleAnalyzer(String source, int spoolBuffer) {
        this.source = source;
        this.spool = new TimeSpool(spoolBuffer);
    }

    // ---- input: one call per event, any order ----

    public void vmStart(String vm, int tid, int nice) {
        VmInfo v = vm(vm);
        v.started = true;
        v.tid = tid;
        v.nice = nice;
    }

    public void vmEnd(String vm, String result, long progress) {
        VmInfo v = vm(vm);
        v.result = result == null ? "" : result;
        v.progress = progress;
    }

    /** True once a vCPU's thread id is known: a reader may then pass -1 and skip reading it. */
    public boolean knowsTid(String vm, int vcpu) {
        return vcpus.get(vcpuId(vm, vcpu)).tid >= 0;
    }

    /** A sched-in; tid -1 keeps the one already known. */
    public void schedIn(String vm, int vcpu, int tid, int cpu, long kernelTime, long lagNanos) {
        int id = vcpuId(vm, vcpu);
        if (tid >= 0) vcpus.get(id).tid = tid;
        spool.add(kernelTime, K_IN, lane(id, cpu, null));
        lag(lagNanos);
    }

    public void schedOut(String vm, int vcpu, int tid, int cpu, long kernelTime, boolean preempted, long lagNanos) {
        int id = vcpuId(vm, vcpu);
        if (tid >= 0) vcpus.get(id).tid = tid;
        spool.add(kernelTime, preempted ? K_OUT_PREEMPTED : K_OUT_BLOCKED, lane(id, cpu, null));
        lag(lagNanos);
    }

    /** The switch class of a sched-in ("first run", "same vCPU resumed", "switched from another vCPU"). */
    public void switchClass(String vm, int vcpu, int cpu, long kernelTime, String switchClass) {
        int id = vcpuId(vm, vcpu);
        int c = classOf(switchClass);
        spool.add(kernelTime, K_CLASS + c, lane(id, cpu, null));
        vcpus.get(id).classes[c]++;
    }

    /**
     * The class of a switch label, in both vocabularies jkvm recordings use: the earlier one (first run /
     * same vCPU resumed / switched from another vCPU) and the one naming what KVM loaded (first load on
     * this CPU / same vCPU reloaded / another vCPU was loaded); outside KVM_RUN and unknown count as
     * unclassified.
     */
    static int classOf(String label) {
        return switch (label == null ? "" : label) {
            case "first run", "first load on this CPU" -> FIRST_RUN;
            case "same vCPU resumed", "same vCPU reloaded" -> SAME_VCPU;
            case "switched from another vCPU", "another vCPU was loaded" -> OTHER_VCPU;
            default -> UNKNOWN_CLASS;
        };
    }

    /** A sched event's start time (epoch nanoseconds) beside its kernel time: maps JFR time onto kernel time. */
    public void clockSample(long startEpochNanos, long kernelTime) {
        clockOffset = Math.min(clockOffset, startEpochNanos - kernelTime);
    }

    /** Keep every exit's moment for a picture (another spool: 8 bytes an exit until {@link #finish}). */
    public void keepExitTimes() {
        if (exitTimes == null) exitTimes = new TimeSpool(DEFAULT_BUFFER / 4);
    }

    public void vmExit(String vm, int vcpu, String reason, long handlingNanos, long startEpochNanos) {
        exit(vm, vcpu, reason).handling.record(handlingNanos);
        if (exitTimes != null) {
            int r = exitReasons.indexOf(reason);
            if (r < 0 && exitReasons.size() < (1 << TimeSpool.KIND_BITS) - 1) {
                exitReasons.add(reason);
                r = exitReasons.size() - 1;
            }
            exitTimes.add(startEpochNanos, r < 0 ? (1 << TimeSpool.KIND_BITS) - 1 : r, vcpuId(vm, vcpu));
        }
    }

    public void exitStats(String vm, int vcpu, String reason, long count, long mean, long p99, long max) {
        ExitAcc e = exit(vm, vcpu, reason);
        if (count >= e.statsCount) {
            e.statsCount = count;
            e.statsMean = mean;
            e.statsP99 = p99;
            e.statsMax = max;
        }
    }

    public void guestGap(String vm, long gapNanos) {
        VmInfo v = vm(vm);
        v.hasGaps = true;
        v.gaps++;
        v.gapTotal += gapNanos;
        v.gapMax = Math.max(v.gapMax, gapNanos);
    }

    /** A jkvm.VcpuReload: the latency from a sched-in of class {@code switchClass} to the first VM entry. */
    public void reload(String switchClass, long latencyNanos) {
        reloads.computeIfAbsent(switchClass, k -> new LogHistogram()).record(latencyNanos);
    }

    private final java.util.TreeMap<String, LogHistogram> reloads = new java.util.TreeMap<>();

    /** A steal-time sample: the total so far; the largest one seen is kept. */
    /** One tick of a timer guest (jkvm.WakeupLatency): its wake-up latency and the expiries it never saw. */
    public void wakeup(String vm, int vcpu, long latencyNanos, long missedTicks) {
        Vcpu v = vcpus.get(vcpuId(vm, vcpu));
        v.wakeups.record(Math.max(0, latencyNanos));
        v.missedTicks += Math.max(0, missedTicks);
    }

    public void steal(String vm, int vcpu, long stealNanos) {
        Vcpu v = vcpus.get(vcpuId(vm, vcpu));
        v.steal = Math.max(v.steal, stealNanos);
    }

    /** A Linux guest's steal over its workload: its own /proc/stat count and the host's run-queue wait over the same lines. */
    public void linuxSteal(String vm, int vcpu, long guestStealNanos, long hostWaitNanos) {
        Vcpu v = vcpus.get(vcpuId(vm, vcpu));
        v.linuxGuestSteal = guestStealNanos;
        v.linuxHostWait = hostWaitNanos;
    }

    /** The sched_switch copy: a task switch on a CPU; vm arguments are empty for tasks that are not vCPUs. */
    public void kernelSwitch(int cpu, long kernelTime, int nextTid, String nextComm, String nextVm) {
        kernelSwitches = true;
        boolean foreign = nextTid != 0 && (nextVm == null || nextVm.isEmpty());
        if (foreign) {
            spool.add(kernelTime, K_FOREIGN_IN, lane(-1, cpu, nextComm == null ? "?" : nextComm));
        } else {
            spool.add(kernelTime, nextTid == 0 ? K_IDLE_IN : K_OTHER_IN, lane(-1, cpu, ""));
        }
    }

    /** The jkvm.Host event: which machine the run happened on. */
    public void host(RunSummary.Host h) {
        this.host = h;
    }

    private RunSummary.Host host = RunSummary.Host.NONE;
    private RunSummary.Hygiene procStatHygiene;

    /**
     * The jkvm.RunHygiene event: the monitor's /proc/stat measurement of the experiment CPU.
     * {@code siblingLoad} and the frequencies are negative when not measured.
     */
    public void runHygiene(long foreignNanos, double foreignFraction, String siblingCpus, double siblingLoad, int frequencyChanges,
            long minFrequencyHz, long maxFrequencyHz, long stealNanos) {
        procStatHygiene = new RunSummary.Hygiene("/proc/stat", foreignNanos, foreignFraction, foreignFraction, siblingCpus,
                siblingLoad < 0 ? Double.NaN : siblingLoad, frequencyChanges, minFrequencyHz, maxFrequencyHz, stealNanos);
    }

    public void recordsLost(String source, long lost) {
        lostBySource.merge(source == null ? "?" : source, lost, Long::sum);
    }

    /** Why the run recorded no vCPU's switches, as its recorder said (empty or null: they were recorded). */
    public void switchesNotRecorded(String why) {
        this.switchesNotRecorded = why == null || why.isBlank() ? null : why;
    }

    /** Whether the recording has a jkvm.VmStart: it is jkvm's, whatever else it lacks. */
    public boolean anyVmStarted() {
        return vms.values().stream().anyMatch(v -> v.started);
    }

    /** Why the run recorded no vCPU's switches, or null. */
    public String switchesNotRecorded() {
        return switchesNotRecorded;
    }

    private String switchesNotRecorded;

    public void recorderSummary(long switchRecords, long lostRecords) {
        recorderSummary(switchRecords, lostRecords, null);
    }

    /**
     * @param helperFailures the monitor's helper threads that failed during the run, one a line,
     *                       each saying what is missing from when (null or empty: none; older recordings have no such field)
     */
    public void recorderSummary(long switchRecords, long lostRecords, String helperFailures) {
        // One run writes one summary at its end: more are runs joined into one file (`cat a.jfr b.jfr`
        // is a valid JFR file), whose vCPUs of the same names would be folded into one made-up schedule.
        if (recorderSummary) {
            throw new BadRecordingException(source + " holds the records of more than one run (recordings joined into one file?);"
                    + " analyze each run's recording on its own, or give them as separate FILEs to compare them");
        }
        recorderSummary = true;
        if (helperFailures != null && !helperFailures.isBlank()) this.helperFailures = helperFailures;
        this.switchRecords = switchRecords;
        this.summaryLost = lostRecords;
    }

    /**
     * The recorder marked the switch just passed to schedIn/schedOut late (it arrived after a later one
     * had been committed); counted once even when its lag made it late already.
     */
    public void lateRecord() {
        if (!lastLate) lateRecords++;
        lastLate = true;
    }

    private void lag(long lagNanos) {
        lastLate = lagNanos > LATE_NANOS;
        if (lastLate) lateRecords++;
        maxLag = Math.max(maxLag, lagNanos);
    }

    private VmInfo vm(String vm) {
        return vms.computeIfAbsent(vm == null ? "" : vm, k -> new VmInfo());
    }

    private ExitAcc exit(String vm, int vcpu, String reason) {
        return vcpus.get(vcpuId(vm, vcpu)).exits.computeIfAbsent(reason == null ? "?" : reason, k -> new ExitAcc());
    }

    private int vcpuId(String vm, int vcpu) {
        // Most events come from the vCPU the previous one came from: skip building a key for them.
        if (vcpu == lastVcpu && lastVm != null && lastVm.equals(vm)) return lastVcpuId;
        int id = vcpuIdSlow(vm, vcpu);
        lastVm = vm;
        lastVcpu = vcpu;
        lastVcpuId = id;
        return id;
    }

    private int vcpuIdSlow(String vm, int vcpu) {
        String key = vm + "\u0000" + vcpu;
        Integer id = vcpuIds.get(key);
        if (id != null) return id;
        vm(vm);
        vcpus.add(new Vcpu(vm == null ? "" : vm, vcpu));
        vcpuIds.put(key, vcpus.size() - 1);
        return vcpus.size() - 1;
    }

    /** The lane of a vCPU on a CPU, a foreign task on a CPU (comm non-empty), or a CPU (comm ""). */
    private int lane(int vcpu, int cpu, String comm) {
        if (vcpu >= 0) {
            Vcpu v = vcpus.get(vcpu);
            if (v.laneCpu == cpu) return v.lane;
            v.lane = laneSlow(vcpu, cpu, comm);
            v.laneCpu = cpu;
            return v.lane;
        }
        return laneSlow(vcpu, cpu, comm);
    }

    private int laneSlow(int vcpu, int cpu, String comm) {
        String key = vcpu + "/" + cpu + "/" + (comm == null ? "\u0000" : comm);
        Integer id = laneIds.get(key);
        if (id != null) return id;
        if (lanes.size() >= TimeSpool.MAX_LANES - 1) {
            if (vcpu >= 0) throw new BadRecordingException("more than " + (TimeSpool.MAX_LANES - 1) + " vCPU/CPU pairs");
            // Foreign tasks beyond the table share one lane per CPU-less bucket; the total stays right.
            return laneSlow(-1, cpu, "(other tasks)");
        }
        lanes.add(new Lane(vcpu, cpu, comm));
        laneIds.put(key, lanes.size() - 1);
        return lanes.size() - 1;
    }

    // ---- the replay ----

    /** Replays the switches in kernel-time order and returns the summary; {@code sink} (may be null) gets the timeline. */
    public RunSummary finish(TimelineSink picture) {
        long[] window = {Long.MAX_VALUE, Long.MIN_VALUE};
        long[] anomalies = {0};
        long[] ins = {0};
        long[] idle = {0}, pendingIdle = {0};
        Map<Integer, Long> pendingForeign = new HashMap<>();
        LogHistogram gap = new LogHistogram();
        Map<Integer, CpuState> cpus = new HashMap<>();
        Map<Integer, Long> foreign = new HashMap<>();
        // The picture's lanes in the summary's order (by VM, then vCPU), whatever order the vCPUs appeared in.
        List<Integer> byName = new ArrayList<>();
        for (int i = 0; i < vcpus.size(); i++) byName.add(i);
        byName.sort(Comparator.comparing((Integer i) -> vcpus.get(i).vm, VmOrder.NATURAL).thenComparingInt(i -> vcpus.get(i).vcpu));
        int[] laneOf = new int[vcpus.size()];
        for (int i = 0; i < byName.size(); i++) laneOf[byName.get(i)] = i;
        TimelineSink sink = picture == null ? null : new TimelineSink() {
            @Override
            public void start(List<String> lanes, long records, long firstTime, long lastTime) {
                picture.start(lanes, records, firstTime, lastTime);
            }

            @Override
            public void segment(int lane, int state, long start, long end) {
                picture.segment(laneOf[lane], state, start, end);
            }

            @Override
            public void mark(int lane, long time, int switchClass) {
                picture.mark(laneOf[lane], time, switchClass);
            }

            @Override
            public void exit(int lane, long time, String reason) {
                picture.exit(laneOf[lane], time, reason);
            }

            @Override
            public void end(long windowStart, long windowEnd, long clockOffset) {
                picture.end(windowStart, windowEnd, clockOffset);
            }
        };
        if (sink != null) {
            // Named as the tables name them (VcpuSummary.name): an SMP VM's vCPUs are vm1/cpu0, vm1/cpu1.
            Map<String, Long> perVm = vcpus.stream().collect(java.util.stream.Collectors.groupingBy(v -> v.vm, java.util.stream.Collectors.counting()));
            sink.start(byName.stream().map(i -> vcpus.get(i).vm + (perVm.get(vcpus.get(i).vm) > 1 ? "/cpu" : "/") + vcpus.get(i).vcpu).toList(),
                    spool.count(), spool.firstTime(), spool.lastTime());
        }
        spool.drain(record -> {
            long t = spool.time(record);
            int kind = TimeSpool.kind(record);
            Lane lane = lanes.get(TimeSpool.lane(record));
            CpuState cpu = cpus.computeIfAbsent(lane.cpu, k -> new CpuState());
            if (kind == K_FOREIGN_IN || kind == K_OTHER_IN || kind == K_IDLE_IN || kind == K_IN) {
                // Idle and foreign time count inside the window only: from the first vCPU switch, and up to
                // the last one (time after the latest vCPU switch stays pending until another one comes).
                if (cpu.idleSince >= 0) clip(cpu.idleSince, t, window, -1, idle, foreign, pendingIdle, pendingForeign);
                cpu.idleSince = kind == K_IDLE_IN ? t : -1;
                if (cpu.foreignLane >= 0) {
                    long d = t - cpu.foreignSince;
                    clip(cpu.foreignSince, t, window, cpu.foreignLane, idle, foreign, pendingIdle, pendingForeign);
                    for (Vcpu v : vcpus) {
                        if (v.state == RUNNABLE && v.cpu == lane.cpu) v.foreignWhileRunnable += d;
                    }
                }
                cpu.foreignLane = kind == K_FOREIGN_IN ? TimeSpool.lane(record) : -1;
                cpu.foreignSince = t;
                // A vCPU's own sched-in ends the CPU's idle or foreign time too: the sched_switch copy has
                // a line for that switch (next = the vCPU) on most kernels, but some print none for a switch
                // out of idle or out of some tasks, and idle time then ran on through the vCPU's slices
                // (seen on this project's host: hello pinned to CPU 1, share 81.6 % and idle 71.6 % of the window).
                if (kind != K_IN) return;
            }
            int id = lane.vcpu;
            Vcpu v = vcpus.get(id);
            if (kind >= K_CLASS) {
                if (sink != null) sink.mark(id, t, kind - K_CLASS);
                return;
            }
            window[0] = Math.min(window[0], t);
            window[1] = Math.max(window[1], t);
            idle[0] += pendingIdle[0];
            pendingIdle[0] = 0;
            pendingForeign.forEach((l, d) -> foreign.merge(l, d, Long::sum));
            pendingForeign.clear();
            v.cpu = lane.cpu;
            if (kind == K_IN) {
                ins[0]++;
                v.schedIns++;
                switch (v.state) {
                    case RUNNABLE -> {
                        v.wait += t - v.since;
                        v.waits.record(t - v.since);
                    }
                    case BLOCKED -> v.sleep += t - v.since;
                    case ON_CPU -> anomalies[0]++;
                    default -> { }
                }
                if (sink != null && v.state != UNKNOWN && v.state != ON_CPU) sink.segment(id, v.state, v.since, t);
                if (cpu.lastOutVcpu >= 0 && cpu.lastOutVcpu != id) gap.record(t - cpu.lastOutTime);
                cpu.lastOutVcpu = -1;
                v.state = ON_CPU;
                v.since = t;
            } else {
                boolean preempted = kind == K_OUT_PREEMPTED;
                // The next task's time on this CPU starts no earlier than the vCPU left it: the copy's
                // sched_switch line for this switch can carry an earlier time than the vCPU's own
                // sched-out record (another probe, microseconds apart), and the overlap counted twice
                // (shares + foreign + idle came to 100.014-100.018 % of the window).
                if (cpu.foreignLane >= 0 && cpu.foreignSince < t) cpu.foreignSince = t;
                if (cpu.idleSince >= 0 && cpu.idleSince < t) cpu.idleSince = t;
                if (preempted) v.preemptedOuts++;
                else v.voluntaryOuts++;
                if (v.state == ON_CPU) {
                    v.run += t - v.since;
                    addRun(v, lane.cpu, t - v.since);
                    v.slices.record(t - v.since);
                    if (sink != null) sink.segment(id, ON_CPU, v.since, t);
                } else if (v.state != UNKNOWN) {
                    anomalies[0]++;
                }
                cpu.lastOutVcpu = id;
                cpu.lastOutTime = t;
                v.state = preempted ? RUNNABLE : BLOCKED;
                v.since = t;
            }
        });
        spool.close();
        if (window[0] > window[1]) window[0] = window[1] = 0;
        long span = window[1] - window[0];
        if (sink != null && exitTimes != null && clockOffset != Long.MAX_VALUE) {
            exitTimes.drain(record -> {
                int r = TimeSpool.kind(record);
                sink.exit(TimeSpool.lane(record), exitTimes.time(record) - clockOffset, r < exitReasons.size() ? exitReasons.get(r) : "other");
            });
        }
        if (exitTimes != null) exitTimes.close();
        if (sink != null) sink.end(window[0], window[1], clockOffset == Long.MAX_VALUE ? 0 : clockOffset);
        return summarize(window[0], window[1], span, ins[0], anomalies[0], gap, foreign, idle[0]);
    }

    /**
     * Adds the part of [start, end) inside the window so far: what lies before the first vCPU switch is
     * dropped, what lies after the latest one is pending (committed when another vCPU switch comes).
     * lane -1 is idle time, else a foreign task's lane.
     */
    private static void clip(long start, long end, long[] window, int lane, long[] idle, Map<Integer, Long> foreign,
            long[] pendingIdle, Map<Integer, Long> pendingForeign) {
        if (window[0] == Long.MAX_VALUE) return;
        long from = Math.max(start, window[0]);
        long inside = Math.max(0, Math.min(end, window[1]) - from);
        long after = Math.max(0, end - Math.max(from, window[1]));
        if (lane < 0) {
            idle[0] += inside;
            pendingIdle[0] += after;
        } else {
            if (inside > 0) foreign.merge(lane, inside, Long::sum);
            if (after > 0) pendingForeign.merge(lane, after, Long::sum);
        }
    }

    private static void addRun(Vcpu v, int cpu, long nanos) {
        for (int i = 0; i < v.cpusRun; i++) {
            if (v.ranOn[i] == cpu) {
                v.runOn[i] += nanos;
                return;
            }
        }
        if (v.cpusRun == v.ranOn.length) {
            v.ranOn = java.util.Arrays.copyOf(v.ranOn, v.cpusRun * 2);
            v.runOn = java.util.Arrays.copyOf(v.runOn, v.cpusRun * 2);
        }
        v.ranOn[v.cpusRun] = cpu;
        v.runOn[v.cpusRun++] = nanos;
    }

    /** The CPU {@code v} ran on longest (the lowest of equals); the CPU of its latest switch if it never completed a slice. */
    private static int mainCpu(Vcpu v) {
        int best = -1;
        for (int i = 0; i < v.cpusRun; i++) {
            if (best < 0 || v.runOn[i] > v.runOn[best] || v.runOn[i] == v.runOn[best] && v.ranOn[i] < v.ranOn[best]) best = i;
        }
        return best >= 0 ? v.ranOn[best] : v.cpu;
    }

    private RunSummary summarize(long start, long end, long span, long ins, long anomalies, LogHistogram gap, Map<Integer, Long> foreign,
            long idle) {
        List<RunSummary.VcpuSummary> out = new ArrayList<>();
        List<Vcpu> sorted = new ArrayList<>(vcpus);
        sorted.sort(Comparator.comparing((Vcpu v) -> v.vm, VmOrder.NATURAL).thenComparingInt(v -> v.vcpu));
        double seconds = span / 1e9;
        for (Vcpu v : sorted) {
            VmInfo vm = vms.get(v.vm);
            List<RunSummary.ExitSummary> exits = new ArrayList<>();
            for (var e : v.exits.entrySet()) {
                ExitAcc a = e.getValue();
                boolean events = a.handling.count() > 0;
                long count = events ? a.handling.count() : a.statsCount;
                exits.add(new RunSummary.ExitSummary(e.getKey(), count, seconds > 0 ? count / seconds : 0,
                        // Recordings before 2026-11-28 could hold a bucket bound above the maximum: no quantile is.
                        events ? a.handling.percentile(50) : -1, events ? a.handling.percentile(99) : Math.min(a.statsP99, a.statsMax),
                        events ? a.handling.max() : a.statsMax, events ? "events" : "stats"));
            }
            RunSummary.GuestView guest = RunSummary.GuestView.NONE;
            boolean gaps = vm.hasGaps && v.vcpu == 0;
            if (gaps || v.steal >= 0 || v.linuxGuestSteal >= 0) {
                guest = new RunSummary.GuestView(gaps ? vm.gaps : -1, gaps ? vm.gapTotal : -1, gaps ? vm.gapMax : -1, v.steal,
                        v.linuxGuestSteal, v.linuxHostWait);
            }
            out.add(new RunSummary.VcpuSummary(v.vm, v.vcpu, v.tid, mainCpu(v), vm.nice, span > 0 ? (double) v.run / span : 0,
                    v.run, v.wait, v.sleep, v.slices.dist(), v.waits.dist(), v.schedIns, v.preemptedOuts, v.voluntaryOuts,
                    v.classes[FIRST_RUN], v.classes[SAME_VCPU], v.classes[OTHER_VCPU], v.classes[UNKNOWN_CLASS], v.foreignWhileRunnable, exits, guest,
                    vm.result, vm.progress, (int) sorted.stream().filter(o -> o.vm.equals(v.vm)).count(), v.wakeups.dist(), v.missedTicks));
        }
        LogHistogram allSlices = new LogHistogram(), allWaits = new LogHistogram();
        for (Vcpu v : sorted) {
            allSlices.add(v.slices);
            allWaits.add(v.waits);
        }
        double jain = jain(out, false), weighted = jain(out, true);
        List<RunSummary.ForeignTask> tasks = new ArrayList<>();
        foreign.forEach((laneId, nanos) -> tasks.add(new RunSummary.ForeignTask(lanes.get(laneId).cpu, lanes.get(laneId).comm, nanos)));
        tasks.sort(Comparator.comparingLong(RunSummary.ForeignTask::nanos).reversed());
        List<String> missing = new ArrayList<>();
        for (var e : vms.entrySet()) {
            boolean hasSwitches = sorted.stream().anyMatch(v -> v.vm.equals(e.getKey()) && v.schedIns > 0);
            if (e.getValue().started && !hasSwitches) missing.add("sched-in/out of " + e.getKey());
        }
        if (!recorderSummary) missing.add("jkvm.RecorderSummary (the recording ended before the recorder finished)");
        if (helperFailures != null) for (String f : helperFailures.split("\n")) missing.add("events of a failed helper: " + f);
        long lost = Math.max(summaryLost, lostBySource.values().stream().mapToLong(Long::longValue).sum());
        List<String> lostSources = lostBySource.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList();
        RunSummary.Health health = new RunSummary.Health(recorderSummary, switchRecords, lost, lostSources, lateRecords, maxLag,
                anomalies, kernelSwitches, missing);
        return new RunSummary(source, start, end, out, jain, weighted, span > 0 ? ins / seconds : 0, gap.dist(), tasks,
                kernelSwitches ? idle : -1, health,
                reloads.entrySet().stream().map(e -> new RunSummary.ReloadLatency(e.getKey(), e.getValue().dist())).toList(),
                host, hygiene(tasks, end - start), allSlices.dist(), allWaits.dist());
    }

    /**
     * Foreign time from the sched_switch copy when recorded (exact, clipped to the window), else the
     * monitor's /proc/stat measurement; the sibling and frequency always come from the monitor.
     */
    private RunSummary.Hygiene hygiene(List<RunSummary.ForeignTask> tasks, long window) {
        RunSummary.Hygiene p = procStatHygiene != null ? procStatHygiene : RunSummary.Hygiene.NONE;
        if (!kernelSwitches || window <= 0) return p;
        long foreign = tasks.stream().mapToLong(RunSummary.ForeignTask::nanos).sum();
        return new RunSummary.Hygiene("sched_switch", foreign, (double) foreign / window, p.procStatForeignFraction(), p.siblingCpus(),
                p.siblingLoad(), p.frequencyChanges(), p.minFrequencyHz(), p.maxFrequencyHz(), p.stealNanos());
    }

    /**
     * Jain's fairness index (Σx)² / (n·Σx²) over the vCPUs' CPU shares: 1 when all are equal, 1/n
     * when one gets everything. Weighted: each share divided by its CFS weight first, so a split
     * that follows the nice values scores 1.
     */
    static double jain(List<RunSummary.VcpuSummary> vcpus, boolean weighted) {
        double sum = 0, squares = 0;
        int n = 0;
        for (RunSummary.VcpuSummary v : vcpus) {
            if (v.schedIns() == 0) continue;
            double x = weighted ? v.share() / NiceWeights.weight(v.nice()) : v.share();
            sum += x;
            squares += x * x;
            n++;
        }
        return n == 0 || squares == 0 ? 1 : sum * sum / (n * squares);
    }

    @Override
    public void close() {
        spool.close();
        if (exitTimes != null) exitTimes.close();
    }
}
