package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.jfr.timeline.Readers;
import dev.jkvm.testing.JkvmProcess;
import dev.jkvm.testing.TaskStat;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGINT/SIGTERM at random moments of a real `jkvm run` (issue 8) × 50: while the JVM starts and sets
 * up, while the VMs run, and around the end of --duration; one run in ten also gets a second signal.
 * Every time jkvm exits with the documented code within 1 s of the signal. A run whose handler saw
 * the signal leaves a recording that `jfr summary`, the JDK's parser and JMC's parser read, holding
 * VmEnd for every VM the summary names and the RecorderSummary, with its last vCPU switch on the
 * experiment CPU (beyond the time other tasks had it) within 100 ms of the signal; a run stopped before its handlers were installed (the JVM's default) or by a
 * second signal leaves nothing under the recording's name that is not a whole recording. However a run
 * ends it leaves its java.io.tmpdir (where JFR keeps its repository) empty and no hidden work file
 * beside the recording; a run signalled twice also has a foreign hog, which has ended when jkvm has.
 */
@Tag("kvm")
class StopSignalsKvmTest {
    static final int ITERATIONS = 50;
    /**
     * The bounds, for every stop: held by all 50 stops in each of three runs of this test
     * (2026-11-27 01:09–01:37 UTC, other sessions' builds and KVM runs beside them; slowest exits
     * 820, 856, 751 ms, latest last switches 35, 31, 37 ms beyond other tasks' time). Until then one
     * stop in ten was allowed 3 s and 400 ms.
     */
    static final long EXIT_WITHIN_MILLIS = 1000;
    static final long LAST_SWITCH_WITHIN_MILLIS = 100;
    /**
     * The 256-VM case's bound: wider than the 1 s, which it missed in one of those three runs
     * (1838, 694, 792 ms) and misses while another session's build holds the other CPU (README, Signals).
     */
    static final long SCALE_EXIT_LIMIT_MILLIS = 3000;
    static final String DURATION = "500ms";
    static final int CPU = 1;

    /** kill(2) from libc: the signal leaves at a known instant (spawning kill(1) takes milliseconds). */
    private static final MethodHandle KILL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("kill").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    @TempDir
    Path dir;

    /** The names in {@code d}, sorted. */
    private static List<String> list(Path d) throws java.io.IOException {
        try (var files = Files.list(d)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    /** The child processes of {@code pid}, by /proc/PID/task/TID/children. */
    private static List<Long> children(long pid) throws java.io.IOException {
        List<Long> found = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    for (String c : Files.readString(t.resolve("children")).split("\\s+")) if (!c.isEmpty()) found.add(Long.parseLong(c));
                } catch (java.io.IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (java.io.IOException e) {
            // the process ended meanwhile
        }
        return found;
    }

    /** Whether {@code pid} has ended (gone from /proc, or a zombie) within {@code millis}. */
    private static boolean gone(long pid, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (true) {
            if (TaskStat.ended(pid)) return true;
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(5);
        }
    }

    /** Sends {@code signal} to {@code pid}; false when kill(2) failed (the process is gone: ESRCH). */
    private static boolean kill(long pid, int signal) throws Throwable {
        return (int) KILL.invokeExact((int) pid, signal) == 0;
    }

    enum Moment { STARTING, RUNNING, ENDING }

    @Test
    void aSignalAtAnyMomentStopsTheRunCleanly() throws Throwable {
        long seed = Long.getLong("jkvm.signalSeed", System.nanoTime());
        Random random = new Random(seed);
        long worstExitMillis = 0;
        double worstSwitchMillis = Double.NEGATIVE_INFINITY, worstOwnMillis = Double.NEGATIVE_INFINITY, worstAnywhereMillis = Double.NEGATIVE_INFINITY;
        int[] byMoment = new int[Moment.values().length];
        int beforeHandlers = 0, cleanStops = 0, seconds = 0, endedFirst = 0;
        List<Path> recordings = new ArrayList<>();
        List<Long> exits = new ArrayList<>();
        List<Double> lastSwitches = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < ITERATIONS; i++) {
            Moment moment = Moment.values()[i % 3];
            int number = random.nextBoolean() ? 2 : 15; // SIGINT, SIGTERM
            boolean twice = i % 10 == 9;
            Path jfr = dir.resolve("run" + i + ".jfr");
            // The run's own temporary directory, where JFR makes its repository: left empty however the run ends.
            Path tmp = Files.createDirectory(dir.resolve("tmp" + i));
            List<String> args = new ArrayList<>(List.of("run", "--no-sandbox", "--guest", "spin", "--guest", "spin", "--guest", "hello",
                    "--duration", DURATION, "--cpu", Integer.toString(CPU), "--quiet", "--jfr", jfr.toString()));
            // A run signalled twice has a foreign hog too: the immediate exit must not leave it spinning.
            if (twice) args.addAll(List.of("--foreign-hog", "1"));
            try (JkvmProcess p = JkvmProcess.start(dir, List.of("-Djava.io.tmpdir=" + tmp), args.toArray(String[]::new))) {
                long delayMillis;
                if (moment == Moment.STARTING) {
                    delayMillis = random.nextInt(1200); // from the spawn: JVM start, option checks, VM creation
                    Thread.sleep(delayMillis);
                } else {
                    long deadline = System.nanoTime() + 30_000_000_000L;
                    while (p.isAlive() && p.out().isEmpty() && System.nanoTime() < deadline) Thread.sleep(1);
                    // The first line comes when every VM exists, just before the gate opens.
                    delayMillis = moment == Moment.RUNNING ? random.nextInt(450) : 450 + random.nextInt(150);
                    Thread.sleep(delayMillis);
                }
                String where = "iteration " + i + " (seed " + seed + ", signal " + number + " " + moment + " +" + delayMillis + " ms"
                        + (twice ? ", twice" : "") + ")";
                List<Long> children = p.isAlive() ? children(p.pid()) : List.of();
                long t0 = System.nanoTime(); // CLOCK_MONOTONIC, the clock of the events' monotonicNanos
                // A process that ended (and was reaped) just before the signal makes kill fail with ESRCH:
                // that run ended by itself, which it may only do with exit code 0.
                if (!p.isAlive() || !kill(p.pid(), number)) {
                    endedFirst++;
                    assertEquals(0, p.waitFor(1000), where + ": ended by itself\n" + p.out() + p.err());
                    continue;
                }
                if (twice) {
                    Thread.sleep(5);
                    // The first signal may have ended it by now, between isAlive and kill too.
                    if (p.isAlive() && !kill(p.pid(), number)) {
                        // Reaped already: the Process learns of it a moment later.
                        long until = System.nanoTime() + 1_000_000_000L;
                        while (p.isAlive() && System.nanoTime() < until) Thread.sleep(1);
                        assertFalse(p.isAlive(), where + ": the second kill failed while the process still ran");
                    }
                }
                int code = p.waitFor(EXIT_WITHIN_MILLIS + 30_000);
                long exitMillis = (System.nanoTime() - t0) / 1_000_000;
                String out = p.out(), err = p.err();
                worstExitMillis = Math.max(worstExitMillis, exitMillis);
                byMoment[moment.ordinal()]++;
                String all = where + "\n" + out + err;
                assertEquals(128 + number, code, where + ": exit code\n" + out + err);
                assertTrue(exitMillis <= EXIT_WITHIN_MILLIS, where + ": exit took " + exitMillis + " ms");
                exits.add(exitMillis);
                List<String> leftovers;
                try (var files = Files.list(dir)) {
                    String own = "run" + i + ".jfr";
                    leftovers = files.map(f -> f.getFileName().toString()).filter(n -> n.contains(own) && !n.equals(own)).toList();
                }
                assertEquals(List.of(), list(tmp), where + ": left in java.io.tmpdir (JFR's repository, temporary files)\n" + out + err);
                if (err.contains("again: exiting now")) {
                    seconds++;
                    assertEquals(List.of(), leftovers, where + ": files left beside the recording by the immediate exit");
                    for (long child : children) {
                        assertTrue(gone(child, 2000), where + ": child process " + child + " still runs after the immediate exit");
                    }
                    if (Files.exists(jfr)) recordings.add(jfr); // only ever whole: it parses below
                    continue;
                }
                if (!err.contains("stopping every VM")) {
                    // The JVM's default handling: the handlers were not installed yet. Nothing ran, nothing was written.
                    beforeHandlers++;
                    assertEquals(List.of(), leftovers, where + ": files left beside the recording");
                    assertEquals(moment, Moment.STARTING, all);
                    assertFalse(Files.exists(jfr), where + ": a recording although nothing ran");
                    assertFalse(out.contains("jkvm: vm0"), all);
                    continue;
                }
                assertEquals(List.of(), leftovers, where + ": files left beside the recording");
                cleanStops++;
                if (err.contains("before any VM was created")) {
                    assertFalse(Files.exists(jfr), all);
                    continue;
                }
                assertTrue(Files.size(jfr) > 0, where + ": no recording\n" + out + err);
                recordings.add(jfr);
                List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
                long vms = Pattern.compile("(?m)^jkvm: vm\\d+ (stopped|halted)").matcher(out).results().count();
                assertEquals(vms, count(events, "jkvm.VmEnd"), all);
                assertEquals(1, count(events, "jkvm.RecorderSummary"), all);
                // The last sched-in of a vCPU on the experiment CPU, by kernel time: the guests stop
                // time-sharing it at the signal. (Afterwards each vCPU thread leaves for the other CPU to
                // end there; its switches there measure that CPU's load, reported as "anywhere".) A
                // signal before every VM ran is measured from the first switch of the last VM to start.
                List<RecordedEvent> anywhere = events.stream().filter(e -> e.getEventType().getName().equals("jkvm.VcpuSchedIn")).toList();
                List<RecordedEvent> switches = anywhere.stream().filter(e -> e.getInt("cpu") == CPU).toList();
                if (switches.isEmpty()) continue; // stopped before any guest ran
                long lastSwitch = switches.stream().mapToLong(e -> e.getLong("monotonicNanos")).max().orElseThrow();
                worstAnywhereMillis = Math.max(worstAnywhereMillis,
                        (anywhere.stream().mapToLong(e -> e.getLong("monotonicNanos")).max().orElseThrow() - t0) / 1e6);
                long lastStart = switches.stream().collect(java.util.stream.Collectors.groupingBy(e -> e.getString("vm"),
                        java.util.stream.Collectors.summarizingLong(e -> e.getLong("monotonicNanos")))).values().stream()
                        .mapToLong(java.util.LongSummaryStatistics::getMin).max().orElseThrow();
                assertTrue(lastSwitch > t0 - 60_000_000_000L, where + ": switch times not on the monotonic clock");
                long from = Math.max(t0, lastStart);
                double afterMillis = (lastSwitch - from) / 1e6;
                double foreignMillis = foreignNanos(events, from, lastSwitch) / 1e6;
                worstSwitchMillis = Math.max(worstSwitchMillis, afterMillis);
                worstOwnMillis = Math.max(worstOwnMillis, afterMillis - foreignMillis);
                assertTrue(afterMillis - foreignMillis <= LAST_SWITCH_WITHIN_MILLIS, where + ": a vCPU was switched in " + afterMillis
                        + " ms after the signal, of which other tasks had the CPU " + foreignMillis + " ms");
                lastSwitches.add(afterMillis - foreignMillis);
            }
        }
        long loopMillis = (System.nanoTime() - started) / 1_000_000;
        // Every recording left is a whole one: `jfr summary` (as a user runs it) and JMC's parser read it.
        for (Path jfr : recordings) {
            String summary = Readers.jfr("summary", jfr.toString());
            assertTrue(summary.contains("jkvm.RecorderSummary"), jfr + "\n" + summary);
            var jmc = org.openjdk.jmc.flightrecorder.JfrLoaderToolkit.loadEvents(jfr.toFile());
            assertTrue(jmc.hasItems(), jfr + ": JMC's parser found no events");
        }
        long exitsWithin = exits.stream().filter(m -> m <= EXIT_WITHIN_MILLIS).count();
        long switchesWithin = lastSwitches.stream().filter(m -> m <= LAST_SWITCH_WITHIN_MILLIS).count();
        System.out.printf("signals: %d of %d exits within %d ms, %d of %d last switches within %d ms (sorted: %s)%n", exitsWithin, exits.size(),
                EXIT_WITHIN_MILLIS, switchesWithin, lastSwitches.size(), LAST_SWITCH_WITHIN_MILLIS,
                lastSwitches.stream().sorted().map(m -> String.format("%.0f", m)).toList());
        System.out.printf("signals: %d runs in %d ms (starting %d, running %d, ending %d; %d ended before the signal), %d clean stops,"
                        + " %d before the handlers, %d second signals; slowest exit %d ms, last switch on the experiment CPU at most %.1f ms after the signal, %.1f ms not counting other tasks' time there (anywhere: %.1f ms);"
                        + " %d recordings read by jfr summary and JMC in %d ms%n",
                ITERATIONS, loopMillis, byMoment[0], byMoment[1], byMoment[2], endedFirst, cleanStops, beforeHandlers, seconds,
                worstExitMillis, worstSwitchMillis, worstOwnMillis, worstAnywhereMillis, recordings.size(), (System.nanoTime() - started) / 1_000_000 - loopMillis);
    }

    /**
     * A JVM told to keep JFR's repository (-XX:FlightRecorderOptions=preserve-repository=true) keeps it
     * after a second signal too: the immediate exit deletes only what JFR itself would have deleted.
     */
    @Test
    void aSecondSignalKeepsARepositoryTheJvmWasToldToPreserve() throws Throwable {
        Path tmp = Files.createDirectory(dir.resolve("preserved-tmp"));
        try (JkvmProcess p = JkvmProcess.start(dir, List.of("-Djava.io.tmpdir=" + tmp, "-XX:FlightRecorderOptions=preserve-repository=true"),
                "run", "--no-sandbox", "--guest", "spin", "--duration", "30s", "--cpu", Integer.toString(CPU), "--quiet",
                "--jfr", dir.resolve("preserved.jfr").toString())) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (p.isAlive() && p.out().isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
            Thread.sleep(300);
            assertTrue(kill(p.pid(), 2), "the run ended before the first signal\n" + p.out() + p.err());
            Thread.sleep(5);
            assertTrue(kill(p.pid(), 2), "the run ended before the second signal\n" + p.out() + p.err());
            assertEquals(130, p.waitFor(30_000), p.out() + p.err());
            assertTrue(p.err().contains("again: exiting now"), p.err());
            List<String> repositories = list(tmp);
            assertEquals(1, repositories.size(), "JFR's repository in " + tmp + ": " + repositories);
            assertFalse(list(tmp.resolve(repositories.get(0))).isEmpty(), "the preserved repository lost its chunks");
        }
    }

    /**
     * A jkvm started with SIGINT ignored (as a shell starts its background jobs) keeps it ignored, as
     * the JVM does, and says so at the start: a SIGINT then leaves it running, a SIGTERM stops it.
     */
    @Test
    void aRunStartedWithSigintIgnoredSaysSoAndStopsOnSigterm() throws Throwable {
        Path jfr = dir.resolve("ignored.jfr");
        try (JkvmProcess p = JkvmProcess.startUnder(dir, List.of("env", "--ignore-signal=INT"),
                "run", "--no-sandbox", "--guest", "spin", "--duration", "30s", "--cpu", Integer.toString(CPU), "--quiet",
                "--jfr", jfr.toString())) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (p.isAlive() && p.out().isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
            assertTrue(p.err().contains("jkvm: SIGINT is ignored in this process"), p.err());
            assertTrue(kill(p.pid(), 2), "the run ended before SIGINT\n" + p.out() + p.err());
            assertEquals(-1, p.waitFor(1000), "SIGINT, ignored, ended the run\n" + p.out() + p.err());
            assertTrue(kill(p.pid(), 15), "the run ended before SIGTERM\n" + p.out() + p.err());
            assertEquals(143, p.waitFor(30_000), p.out() + p.err());
            assertTrue(p.err().contains("SIGTERM: stopping every VM"), p.err());
            assertEquals(1, count(RecordingFile.readAllEvents(jfr), "jkvm.VmEnd"), "VmEnd events");
        }
    }

    /**
     * Issue 8's largest case: SIGTERM to 256 spin VMs time-sharing one CPU with no --duration (the way
     * such a run is ended), 2 s after every VM exists. jkvm exits with 143 and leaves a whole recording:
     * a VmEnd for each of the 256 VMs and the RecorderSummary, read by the JDK's parser, and a summary
     * line per VM. The exit time is printed; it is held to {@link #SCALE_EXIT_LIMIT_MILLIS}, the wide bound
     * of this shared host (the 1 s is missed while other sessions load it: README, Signals).
     */
    @Test
    void sigtermEndsTwoHundredFiftySixSpinningVmsWithAWholeRecording() throws Throwable {
        Path jfr = dir.resolve("vms256.jfr");
        try (JkvmProcess p = JkvmProcess.start(dir, "run", "--no-sandbox", "--guest", "spin", "--vms", "256", "--cpu",
                Integer.toString(CPU), "--quiet", "--jfr", jfr.toString())) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            // The thread map is printed when every VM exists, just before the gate opens.
            while (p.isAlive() && !p.out().contains("vCPU threads pinned") && System.nanoTime() < deadline) Thread.sleep(10);
            assertTrue(p.isAlive(), "the run ended before the signal\n" + p.out() + p.err());
            Thread.sleep(2000);
            long t0 = System.nanoTime();
            assertTrue(kill(p.pid(), 15), "the run ended before the signal\n" + p.out() + p.err());
            int code = p.waitFor(SCALE_EXIT_LIMIT_MILLIS + 30_000);
            long exitMillis = (System.nanoTime() - t0) / 1_000_000;
            String out = p.out(), err = p.err();
            System.out.printf("signals: 256 spinning VMs ended %d ms after SIGTERM%n", exitMillis);
            assertEquals(128 + 15, code, "exit code\n" + out + err);
            assertEquals(256, Pattern.compile("(?m)^jkvm: vm\\d+ stopped").matcher(out).results().count(), out + err);
            List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
            assertEquals(256, count(events, "jkvm.VmEnd"), "VmEnd events");
            assertEquals(1, count(events, "jkvm.RecorderSummary"), "RecorderSummary events");
            assertTrue(exitMillis <= SCALE_EXIT_LIMIT_MILLIS, "exit took " + exitMillis + " ms");
        }
    }

    /**
     * How long tasks other than vCPU threads and idle had the experiment CPU within [from, to], by the
     * kernel's own sched:sched_switch lines on that CPU (jkvm.KernelSchedSwitch): each line starts the
     * next task's time there.
     */
    static long foreignNanos(List<RecordedEvent> events, long from, long to) {
        List<RecordedEvent> lines = events.stream().filter(e -> e.getEventType().getName().equals("jkvm.KernelSchedSwitch"))
                .filter(e -> e.getInt("cpu") == CPU).sorted(java.util.Comparator.comparingLong(e -> e.getLong("monotonicNanos"))).toList();
        long foreign = 0;
        for (int k = 0; k < lines.size(); k++) {
            RecordedEvent e = lines.get(k);
            if (e.getInt("nextTid") == 0 || !e.getString("nextVm").isEmpty()) continue; // idle or a vCPU thread
            long start = Math.max(from, e.getLong("monotonicNanos"));
            long end = Math.min(to, k + 1 < lines.size() ? lines.get(k + 1).getLong("monotonicNanos") : to);
            if (end > start) foreign += end - start;
        }
        return foreign;
    }

    private static long count(List<RecordedEvent> events, String type) {
        return events.stream().filter(e -> e.getEventType().getName().equals(type)).count();
    }
}
