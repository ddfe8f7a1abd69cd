package dev.jkvm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.analysis.RecordingAnalysis;
import dev.jkvm.analysis.RunSummary;
import dev.jkvm.analysis.jmc.JmcRecording;
import dev.jkvm.analysis.jmc.RuleReport;
import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.sched.CpuPlacement;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jkvm.Host event against the machine's own tools (uname, lscpu, /proc/cmdline), read back by
 * the JDK's parser, `jfr print` and JMC's parser; and run hygiene: a real spinning process pinned
 * to the experiment CPU with taskset is found, checked against that process's own schedstat, and
 * a run without it agrees with the kernel's sched_switch copy.
 */
@Tag("kvm")
class HostAndHygieneKvmTest {
    private static final int CPU = CpuPlacement.allowed().length() - 1;

    /** Two spin VMs on the experiment CPU for {@code seconds}; returns the recording and what the run printed. */
    private static Run run(Path dir, String name, int seconds) throws Exception {
        GuestImage spin = GuestCatalog.resolve("spin");
        List<ExperimentSpec.VmSpec> vms = List.of(new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), 0, 0),
                new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), 0, 0));
        Path jfr = dir.resolve(name + ".jfr");
        StringWriter out = new StringWriter();
        new Experiment(new ExperimentSpec(vms, Duration.ofSeconds(seconds), OptionalInt.of(CPU), jfr, "jkvm-sched", false),
                new PrintWriter(out)).run();
        return new Run(jfr, out.toString());
    }

    private record Run(Path jfr, String output) {}

    private static RecordedEvent single(Path jfr, String type) throws IOException {
        List<RecordedEvent> all = RecordingFile.readAllEvents(jfr).stream().filter(e -> e.getEventType().getName().equals(type)).toList();
        assertEquals(1, all.size(), type + " events");
        return all.get(0);
    }

    private static String command(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " did not end");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + text);
        return text;
    }

    private static String lscpu(String field) throws Exception {
        for (String line : command("lscpu").split("\n")) {
            if (line.startsWith(field + ":")) return line.substring(field.length() + 1).strip();
        }
        throw new AssertionError("lscpu has no " + field);
    }

    @Test
    void theHostEventSaysWhatTheMachinesOwnToolsSay(@TempDir Path dir) throws Exception {
        Run r = run(dir, "host", 1);
        RecordedEvent host = single(r.jfr(), "jkvm.Host");
        assertEquals(command("uname", "-r").strip(), host.getString("kernelRelease"));
        assertEquals(Files.readString(Path.of("/proc/cmdline")).strip(), host.getString("kernelCommandLine"));
        assertEquals(lscpu("Vendor ID"), host.getString("cpuVendor"));
        assertEquals(lscpu("Model name"), host.getString("cpuModel"));
        assertEquals(CPU, host.getInt("cpu"));
        assertEquals(Runtime.version().toString(), host.getString("jdkVersion").split(" ")[0]);
        String modules = command("sh", "-c", "ls /sys/module | grep '^kvm_' | paste -sd, -").strip();
        assertEquals(modules.isEmpty() ? "none" : modules, host.getString("vendorModule"));
        String thp = command("cat", "/sys/kernel/mm/transparent_hugepage/enabled").replaceAll(".*\\[(\\w+)\\].*\\s*", "$1");
        assertEquals(thp, host.getString("transparentHugepages"));

        // `jfr print` (the JDK's tool) and JMC's parser read the same event.
        String jfr = Path.of(System.getProperty("java.home"), "bin", "jfr").toString();
        String printed = command(jfr, "print", "--events", "jkvm.Host", r.jfr().toString());
        assertTrue(printed.contains("kernelRelease = \"" + host.getString("kernelRelease") + "\""), printed);
        assertTrue(printed.contains("cpuModel = \"" + host.getString("cpuModel") + "\""), printed);
        RunSummary jmc = JmcRecording.summary(RuleReport.load(r.jfr()));
        assertTrue(jmc.host().recorded());
        assertEquals(host.getString("kernelRelease"), jmc.host().kernelRelease());
        assertEquals(host.getString("kvmParameters"), jmc.host().kvmParameters());
        assertEquals(RecordingAnalysis.analyze(r.jfr()).host(), jmc.host(), "JDK and JMC parsers see the same host");
    }

    /**
     * A real CPU hog: a copy of dash named jkvm-hog, spinning in a shell loop, pinned to the
     * experiment CPU with taskset. Its own schedstat, sampled with the time, tells how long it ran.
     */
    private static final class Hog implements AutoCloseable {
        final Process process;
        final List<long[]> samples = new ArrayList<>(); // {CLOCK_MONOTONIC ns, run time ns}
        final Thread sampler;
        volatile boolean stop;

        Hog(Path dir) throws IOException {
            Path shell = dir.resolve("jkvm-hog");
            Files.copy(Path.of("/usr/bin/dash"), shell);
            shell.toFile().setExecutable(true);
            process = new ProcessBuilder("taskset", "-c", Integer.toString(CPU), shell.toString(), "-c", "while :; do :; done").start();
            Path schedstat = Path.of("/proc", Long.toString(process.pid()), "schedstat");
            sampler = Thread.ofPlatform().daemon(true).start(() -> {
                while (!stop) {
                    try {
                        long before = System.nanoTime();
                        long run = TaskRunTime.parse(Files.readString(schedstat));
                        long after = System.nanoTime();
                        synchronized (samples) {
                            samples.add(new long[] {(before + after) / 2, run});
                        }
                        Thread.sleep(5);
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            });
        }

        /** The hog's run time at {@code t} (CLOCK_MONOTONIC), interpolated between the nearest samples. */
        long runTimeAt(long t) {
            synchronized (samples) {
                for (int i = 1; i < samples.size(); i++) {
                    long[] a = samples.get(i - 1), b = samples.get(i);
                    if (b[0] >= t) return a[1] + (b[1] - a[1]) * Math.max(0, t - a[0]) / Math.max(1, b[0] - a[0]);
                }
            }
            throw new AssertionError("the hog was not sampled up to " + t);
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            sampler.join();
            process.destroyForcibly().waitFor();
        }
    }

    /** The steal counters (8th value, USER_HZ ticks) of {@code cpus} in /proc/stat, summed. */
    private static long stealTicks(java.util.BitSet cpus) throws java.io.IOException {
        long sum = 0;
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/stat"))) {
            String[] f = line.trim().split("\\s+");
            if (f[0].matches("cpu\\d+") && cpus.get(Integer.parseInt(f[0].substring(3)))) sum += Long.parseLong(f[8]);
        }
        return sum;
    }

    @Test
    void aForeignHogOnTheExperimentCpuIsFoundAndARunWithoutItAgreesWithTheKernel(@TempDir Path dir) throws Exception {
        Run withHog;
        long hogInHygieneWindow, hogInAnalysisWindow;
        RunSummary a;
        try (Hog hog = new Hog(dir)) {
            Thread.sleep(300); // the hog spins on the CPU before the VMs start
            withHog = run(dir, "hog", 4);
            Thread.sleep(50);
            RecordedEvent h = single(withHog.jfr(), "jkvm.RunHygiene");
            hogInHygieneWindow = hog.runTimeAt(h.getLong("windowEndNanos")) - hog.runTimeAt(h.getLong("windowStartNanos"));
            a = RecordingAnalysis.analyze(withHog.jfr());
            hogInAnalysisWindow = hog.runTimeAt(a.windowEnd()) - hog.runTimeAt(a.windowStart());
            long window = h.getLong("windowEndNanos") - h.getLong("windowStartNanos");
            long foreign = h.getLong("foreignTime");
            System.out.printf("hog run: window %.3f s, hog ran %.1f ms (its schedstat), jkvm /proc/stat foreign %.1f ms (%.1f %%);"
                            + " analysis window %.3f s: hog %.1f ms, foreign.time %.2f %% from %s%n", window / 1e9, hogInHygieneWindow / 1e6,
                    foreign / 1e6, 100.0 * foreign / window, a.windowNanos() / 1e9, hogInAnalysisWindow / 1e6,
                    100 * a.hygiene().foreignFraction(), a.hygiene().foreignSource());
            // The monitor's own measurement holds at least what the hog ran (other tasks may add to it;
            // /proc/stat's idle and steal are printed in 10 ms units: 20 ms at each end).
            assertTrue(foreign >= hogInHygieneWindow - 40_000_000, "foreign " + foreign + " ns < the hog's " + hogInHygieneWindow + " ns");
            // Other builds on this shared machine may take most of the CPU; the hog must still have run
            // well beyond the tolerance and the 1 % threshold for the test to prove anything.
            assertTrue(hogInHygieneWindow > Math.max(100_000_000, window / 40), "the hog barely ran (" + hogInHygieneWindow
                    + " ns): the test proves nothing");
            // The analysis' foreign.time (sched_switch copy here, as root; else /proc/stat) holds the hog's share.
            double hogShare = (double) hogInAnalysisWindow / a.windowNanos();
            assertTrue(a.hygiene().foreignFraction() >= hogShare - 0.02, a.hygiene() + " vs the hog's share " + hogShare);
            if (a.health().kernelSwitches()) {
                long hogBySchedSwitch = a.foreignTasks().stream().filter(t -> t.comm().equals("jkvm-hog"))
                        .mapToLong(RunSummary.ForeignTask::nanos).sum();
                // sched_switch gives wall-clock stretches; schedstat counts run time without the time the
                // machine under this one took the CPU away (steal: 0–400 ms in 4 s runs on 2026-11-27, the day a
                // 30 ms + 2 % bound failed with 60–155 ms more by sched_switch): the copy may exceed it by the steal.
                long steal = h.getDuration("stealTime").toNanos();
                long slack = 30_000_000 + hogInAnalysisWindow / 50;
                assertTrue(hogBySchedSwitch >= hogInAnalysisWindow - slack && hogBySchedSwitch <= hogInAnalysisWindow + steal + slack,
                        "the sched_switch copy's jkvm-hog time " + hogBySchedSwitch + " ns vs its own schedstat " + hogInAnalysisWindow
                                + " ns (steal on the CPU " + steal + " ns)");
            }
            assertTrue(a.hygiene().warnings().stream().anyMatch(w -> w.startsWith("foreign tasks")), a.hygiene().warnings().toString());
            List<String> warnings = withHog.output().lines().filter(l -> l.startsWith("jkvm: warning: the experiment CPU")).toList();
            assertEquals(1, warnings.size(), withHog.output());
            assertTrue(warnings.get(0).contains("foreign tasks ran"), warnings.get(0));
        }

        // Without the hog: the monitor's /proc/stat measurement agrees with the kernel's sched_switch
        // copy, and says < 1 % whenever the kernel saw less than 0.5 % (this machine is shared: other
        // builds may use the CPU, and that is what hygiene is for).
        java.util.BitSet others = dev.jkvm.sched.CpuPlacement.allowedExcept(CPU);
        long stealBefore = stealTicks(others);
        Run quiet = run(dir, "quiet", 3);
        long stealAfter = stealTicks(others);
        RunSummary q = RecordingAnalysis.analyze(quiet.jfr());
        RecordedEvent h = single(quiet.jfr(), "jkvm.RunHygiene");
        // The steal of the CPUs jkvm's own threads ran on, as this test read /proc/stat around the whole
        // run (its window holds jkvm's; 10 ms units, so up to one tick more at each end per CPU).
        long monitorSteal = h.getDuration("monitorStealTime").toNanos();
        assertEquals(dev.jkvm.sched.CpuPlacement.formatList(others), h.getString("monitorCpus"));
        assertTrue(monitorSteal >= 0 && monitorSteal <= (stealAfter - stealBefore + 2L * others.cardinality()) * 10_000_000L,
                "monitor steal " + monitorSteal + " ns vs /proc/stat around the run " + (stealAfter - stealBefore) + " ticks");
        assertEquals(monitorSteal > 0, quiet.output().contains("from the recorder's CPUs"), quiet.output());
        System.out.printf("quiet run: /proc/stat foreign %.2f %%, sched_switch foreign %.2f %% (%s)%n", 100 * h.getDouble("foreignFraction"),
                100 * q.hygiene().foreignFraction(), q.hygiene().foreignSource());
        assertEquals(1, quiet.output().lines().filter(l -> l.startsWith("jkvm: run hygiene on CPU " + CPU)
                || l.startsWith("jkvm: warning: the experiment CPU")).count(), quiet.output());
        if (q.health().kernelSwitches()) {
            assertEquals(q.hygiene().foreignFraction(), h.getDouble("foreignFraction"), 0.02, "/proc/stat vs sched_switch");
            if (q.hygiene().foreignFraction() < 0.005) {
                assertTrue(h.getDouble("foreignFraction") < RunHygiene.FOREIGN_WARN_FRACTION, quiet.output());
                assertTrue(quiet.output().contains("jkvm: run hygiene on CPU " + CPU + ": foreign tasks"), quiet.output());
            }
        }
    }
}
