package dev.jkvm.sched;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test-side kernel ground truth, independent of jkvm's recorder: a private tracefs instance that
 * records sched:sched_switch on one CPU with the mono clock, read back as text when closed.
 * Every switch away from a sleeping task (state S or D, not a preemption) also records the kernel
 * stack it went to sleep from (a stacktrace trigger), so a test can say what a thread waited on.
 * Needs root (tracefs is mounted here if it is not yet).
 */
final class TraceFsCapture implements AutoCloseable {
    static final Path TRACEFS = Path.of("/sys/kernel/tracing");
    // "  vcpu-vm0-0-1234  [001] d..2.   123.456789: sched_switch: prev_comm=... prev_pid=1 prev_prio=120 prev_state=R+ ==> next_comm=... next_pid=2 next_prio=120"
    private static final Pattern LINE = Pattern.compile(
            "\\[(\\d+)\\]\\s+\\S+\\s+(\\d+)\\.(\\d{6}):\\s+sched_switch:\\s+prev_comm=.*?\\s+prev_pid=(\\d+)\\s+prev_prio=\\S+\\s+prev_state=(\\S+)\\s+==>\\s+next_comm=.*?\\s+next_pid=(\\d+)\\s+next_prio=\\S+");

    /**
     * One sched_switch: when (mono, ns at µs precision), where, who went out in what state, who came
     * in. {@code implied} marks a switch the tracepoint did not report but the sequence proves: on
     * some kernels a switch away from the idle task leaves no sched_switch line, yet the next line's
     * prev_pid shows another task ran; it happened in [earliestNanos, timeNanos].
     */
    record Switch(long timeNanos, long earliestNanos, int cpu, int prevPid, String prevState, int nextPid, boolean implied, int line) {}

    /**
     * A kvm:kvm_fpu line: KVM loads the guest FPU right after vcpu_load at the start of every KVM_RUN
     * ioctl and puts it back at its end, so load/unload bracket the time a thread is inside KVM_RUN,
     * as the kernel sees it (independent of jkvm's user-space timestamps around the ioctl).
     */
    record KvmFpu(long timeNanos, int cpu, int pid, boolean load, int line) {}

    // "  vcpu-vm0-0-1234  [001] d..2.   123.456789: kvm_fpu: load"
    private static final Pattern FPU = Pattern.compile("^\\s*.*-(\\d+)\\s+\\[(\\d+)\\]\\s+\\S+\\s+(\\d+)\\.(\\d{6}):\\s+kvm_fpu:\\s+(load|unload)");
    private List<KvmFpu> fpu = new ArrayList<>();
    private boolean withFpu;

    // The trigger's filter: TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE, a task going to sleep (a preempted one is 0 or TASK_REPORT_MAX).
    private static final String SLEEP_STACKS = "stacktrace if prev_state & 3";
    // "  vcpu-vm0-0-1234  [001] d..2.   123.456789: <stack trace>", then one " => function" line a frame
    private static final Pattern STACK = Pattern.compile("^\\s*.*-(\\d+)\\s+\\[(\\d+)\\]\\s+\\S+\\s+\\d+\\.\\d{6}:\\s+<stack trace>");
    /** The kernel stack of each sleep, by the trace line of its sched_switch. */
    private final java.util.Map<Integer, String> sleepStacks = new java.util.HashMap<>();

    private final Path instance;
    private List<Switch> switches;

    private TraceFsCapture(Path instance) {
        this.instance = instance;
    }

    static TraceFsCapture start(int cpu) throws IOException, InterruptedException {
        return start(cpu, false);
    }

    /** With {@code withKvmFpu}, also kvm:kvm_fpu on the CPU (where the host has it). */
    static TraceFsCapture start(int cpu, boolean withKvmFpu) throws IOException, InterruptedException {
        ensureMounted();
        Path dir = TRACEFS.resolve("instances/jkvm-test-" + ProcessHandle.current().pid());
        if (!Files.isDirectory(dir)) Files.createDirectory(dir);
        TraceFsCapture c = new TraceFsCapture(dir);
        write(dir.resolve("tracing_on"), "0");
        write(dir.resolve("trace_clock"), "mono");
        write(dir.resolve("buffer_size_kb"), "16384");
        write(dir.resolve("tracing_cpumask"), Long.toHexString(1L << cpu));
        write(dir.resolve("trace"), "");
        write(dir.resolve("events/sched/sched_switch/trigger"), SLEEP_STACKS);
        write(dir.resolve("events/sched/sched_switch/enable"), "1");
        if (withKvmFpu) {
            write(dir.resolve("events/kvm/kvm_fpu/enable"), "1");
            c.withFpu = true;
        }
        write(dir.resolve("tracing_on"), "1");
        return c;
    }

    static void ensureMounted() throws IOException, InterruptedException {
        if (Files.isDirectory(TRACEFS.resolve("events"))) return;
        Process p = new ProcessBuilder("mount", "-t", "tracefs", "nodev", TRACEFS.toString()).inheritIO().start();
        if (p.waitFor() != 0 || !Files.isDirectory(TRACEFS.resolve("events"))) {
            throw new IOException("tracefs is not mounted at " + TRACEFS + " and mounting it failed (needs root)");
        }
    }

    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value);
    }

    /** Stops tracing and parses what was captured. */
    List<Switch> stop() throws IOException {
        write(instance.resolve("tracing_on"), "0");
        List<Switch> out = new ArrayList<>();
        int lineNo = 0;
        int running = -1;       // the task the trace last showed running on the CPU, -1 before any line
        long runningSince = 0;  // and since when
        int stackPid = -1;      // the task whose stack the " => " lines being read belong to
        int stackOf = -1;       // the trace line of the sched_switch they belong to
        StringBuilder stack = new StringBuilder();
        java.util.Map<Integer, Integer> lastSwitchOut = new java.util.HashMap<>(); // TID → the line of its latest switch out
        for (String line : Files.readAllLines(instance.resolve("trace"))) {
            lineNo++;
            if (line.startsWith("#")) continue;
            if (line.contains("LOST")) throw new IllegalStateException("tracefs lost events: " + line);
            if (stackPid != -1 && line.startsWith(" => ")) {
                String frame = line.substring(4).strip();
                // The tracepoint's own frames say nothing about the wait.
                if (!frame.startsWith("trace_event_raw_event_") && !frame.startsWith("__traceiter_")) {
                    stack.append(stack.isEmpty() ? "" : " < ").append(frame);
                }
                continue;
            }
            if (stackPid != -1) {
                if (stackOf != -1) sleepStacks.put(stackOf, stack.toString());
                stackPid = -1;
                stack.setLength(0);
            }
            Matcher st = STACK.matcher(line);
            if (st.find()) {
                // The trigger writes the stack right after its sched_switch line, from the task going to sleep.
                stackPid = Integer.parseInt(st.group(1));
                stackOf = lastSwitchOut.getOrDefault(stackPid, -1);
                continue;
            }
            Matcher f = FPU.matcher(line);
            if (f.find()) {
                long t = Long.parseLong(f.group(3)) * 1_000_000_000L + Long.parseLong(f.group(4)) * 1000L;
                int pid = Integer.parseInt(f.group(1));
                int cpu = Integer.parseInt(f.group(2));
                // A line written by a task that the last switch did not switch in: an unprinted switch happened before it.
                if (running != -1 && running != pid) out.add(new Switch(t, runningSince, cpu, running, "?", pid, true, lineNo));
                running = pid;
                runningSince = t;
                fpu.add(new KvmFpu(t, cpu, pid, f.group(5).equals("load"), lineNo));
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.find()) continue;
            long t = Long.parseLong(m.group(2)) * 1_000_000_000L + Long.parseLong(m.group(3)) * 1000L;
            int cpu = Integer.parseInt(m.group(1));
            int prev = Integer.parseInt(m.group(4));
            if (running != -1 && running != prev) out.add(new Switch(t, runningSince, cpu, running, "?", prev, true, lineNo));
            int next = Integer.parseInt(m.group(6));
            lastSwitchOut.put(prev, lineNo);
            out.add(new Switch(t, t, cpu, prev, m.group(5), next, false, lineNo));
            running = next;
            runningSince = t;
        }
        if (stackPid != -1 && stackOf != -1) sleepStacks.put(stackOf, stack.toString());
        switches = out;
        return out;
    }

    List<Switch> switches() {
        return switches;
    }

    /**
     * The kernel stack (innermost first, " < " between frames) the switch's outgoing task went to
     * sleep from, or null when it did not sleep (preempted) or the switch is implied.
     */
    String sleepStack(Switch s) {
        return sleepStacks.get(s.line());
    }

    /** The kvm_fpu lines, in time order (empty unless asked for). */
    List<KvmFpu> kvmFpu() {
        return fpu;
    }

    @Override
    public void close() throws IOException {
        try {
            write(instance.resolve("tracing_on"), "0");
            write(instance.resolve("events/sched/sched_switch/trigger"), "!" + SLEEP_STACKS);
            write(instance.resolve("events/sched/sched_switch/enable"), "0");
            if (withFpu) write(instance.resolve("events/kvm/kvm_fpu/enable"), "0");
        } finally {
            Files.deleteIfExists(instance);
        }
    }
}
