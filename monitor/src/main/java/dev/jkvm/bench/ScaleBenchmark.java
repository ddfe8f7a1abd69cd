package dev.jkvm.bench;

import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentReport;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.experiment.VmReport;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.jfr.JfrProfiles;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * N spin VMs sharing one CPU for a duration, recorded with jkvm-sched: how long the whole run took,
 * how long the start gate took to make every vCPU thread runnable (the release spread), how far apart
 * the VMs started (each vCPU's first sched-in after the gate opened, from the recording: the spread
 * between the first and the last, and the last one's distance from the gate), each VM's run time and
 * the spread between them, the CPU time each got (min, median, max, and how many VMs never ran), peak
 * RSS and RSS per VM, the recorder's commit lag and lost records, and the recording's size per switch.
 * A run that fails (a limit of the host) is reported with its error instead of numbers.
 */
public final class ScaleBenchmark {

    public record Result(int vms, Duration duration, String error, double wallSeconds, double setUpSeconds, double creatingSeconds,
                         double setUpUserCpuSeconds, double setUpSystemCpuSeconds, double afterStopSeconds, long ranVms, double releaseSpreadMillis,
                         double startSpreadMillis, double lastStartMillis, double runMinMillis, double runMaxMillis,
                         double onCpuMinMillis, double onCpuMedianMillis, double onCpuMaxMillis,
                         long peakRssBytes, double rssPerVmBytes, RecordingFacts recording) {

        public String summary() {
            if (error != null) return String.format(Locale.ROOT, "scale: %d VMs: failed: %s", vms, error);
            return String.format(Locale.ROOT, "scale: %d VMs × %s: wall %.2f s (set-up %.3f s, creating the VMs %.3f s of it, CPU time %s; stop to end %.3f s); all runnable %.2f ms after the gate; %d started (%d never ran), "
                            + "first sched-ins spread %.1f ms, the last %.1f ms after the gate; "
                            + "run time %.3f–%.3f ms (spread %.3f ms); on CPU min %.1f, median %.1f, max %.1f ms; peak RSS %.0f MiB (%.0f KiB per VM); "
                            + "commit lag p99 %.1f ms (the stop's records: p99 %.1f ms; steal on the recorder's CPUs %s), lost %d; recording %.2f MB, %d switches, %.0f bytes/switch, %d KVM statistics events",
                    vms, dev.jkvm.util.Durations.format(duration), wallSeconds, setUpSeconds, creatingSeconds,
                    Double.isNaN(setUpUserCpuSeconds) ? "unknown"
                            : String.format(Locale.ROOT, "user %.3f s + system %.3f s", setUpUserCpuSeconds, setUpSystemCpuSeconds),
                    afterStopSeconds, releaseSpreadMillis, ranVms, vms - ranVms, startSpreadMillis,
                    lastStartMillis, runMinMillis, runMaxMillis, runMaxMillis - runMinMillis, onCpuMinMillis, onCpuMedianMillis, onCpuMaxMillis,
                    peakRssBytes / 1048576.0, rssPerVmBytes / 1024,
                    recording.lagP99() / 1e6, recording.stopLagP99() / 1e6,
                    recording.monitorStealNanos() < 0 ? "unknown" : String.format(Locale.ROOT, "%.0f ms", recording.monitorStealNanos() / 1e6),
                    recording.lostRecords() + recording.perfLostEvents(), recording.bytes() / 1e6,
                    recording.schedIns(), recording.bytesPerSwitch(), recording.kvmStatsEvents());
        }

        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("vms", vms);
            m.put("durationSeconds", duration.toNanos() / 1e9);
            if (error != null) {
                m.put("error", error);
                return m;
            }
            m.put("wallSeconds", wallSeconds);
            m.put("setUpSeconds", setUpSeconds);
            m.put("creatingVmsSeconds", creatingSeconds);
            m.put("setUpUserCpuSeconds", setUpUserCpuSeconds);
            m.put("setUpSystemCpuSeconds", setUpSystemCpuSeconds);
            m.put("stopToEndSeconds", afterStopSeconds);
            m.put("vmsThatRan", ranVms);
            m.put("vmsThatNeverRan", vms - ranVms);
            m.put("releaseSpreadMillis", releaseSpreadMillis);
            m.put("startSpreadMillis", startSpreadMillis);
            m.put("lastFirstSchedInAfterGateMillis", lastStartMillis);
            m.put("runTimeMinMillis", runMinMillis);
            m.put("runTimeMaxMillis", runMaxMillis);
            m.put("runTimeSpreadMillis", runMaxMillis - runMinMillis);
            m.put("onCpuMinMillis", onCpuMinMillis);
            m.put("onCpuMedianMillis", onCpuMedianMillis);
            m.put("onCpuMaxMillis", onCpuMaxMillis);
            m.put("peakRssBytes", peakRssBytes);
            m.put("rssPerVmBytes", rssPerVmBytes);
            m.put("commitLagP50Nanos", recording.lagP50());
            m.put("commitLagP99Nanos", recording.lagP99());
            m.put("commitLagMaxNanos", recording.lagMax());
            m.put("stopCommitLagP99Nanos", recording.stopLagP99());
            m.put("recorderCpusStealNanos", recording.monitorStealNanos());
            m.put("lostRecords", recording.lostRecords());
            m.put("perfRecordsLost", recording.perfLostEvents());
            m.put("recordingBytes", recording.bytes());
            m.put("switches", recording.schedIns());
            m.put("bytesPerSwitch", recording.bytesPerSwitch());
            m.put("kvmStatsEvents", recording.kvmStatsEvents());
            return m;
        }
    }

    private ScaleBenchmark() {}

    public static Result run(int vms, Duration duration, int cpu, PrintWriter progress) throws IOException, InterruptedException {
        if (vms < 1) throw new UsageException("--scale needs at least 1 VM");
        GuestImage spin = GuestCatalog.resolve("spin");
        List<ExperimentSpec.VmSpec> specs = new ArrayList<>();
        for (int i = 0; i < vms; i++) specs.add(new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), spin.manifest().arg().orElse(0), null));
        Path dir = Files.createTempDirectory("jkvm-bench-scale-");
        Path jfr = dir.resolve("scale.jfr");
        try {
            progress.printf(Locale.ROOT, "bench: scale: %d spin VMs on CPU %d for %s…%n", vms, cpu, dev.jkvm.util.Durations.format(duration));
            progress.flush();
            System.gc();
            long rssBefore = ProcessUsage.statusBytes("VmRSS");
            ProcessUsage.resetPeakRss();
            long t0 = System.nanoTime();
            ExperimentReport report;
            try {
                report = new Experiment(new ExperimentSpec(specs, duration, OptionalInt.of(cpu), jfr, JfrProfiles.SCHED, false),
                        new PrintWriter(new StringWriter())).run();
            } catch (RuntimeException e) {
                return new Result(vms, duration, e.getClass().getSimpleName() + ": " + e.getMessage(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        0, 0, null);
            }
            long t1 = System.nanoTime();
            double wall = (t1 - t0) / 1e9;
            // From this call's start: the experiment's own start (validating the spec) is part of its set-up.
            double setUp = (report.startedNanos() - t0) / 1e9;
            double creating = report.setUp().creatingNanos() / 1e9;
            dev.jkvm.host.ProcessCpu setUpCpu = report.setUp().cpu();
            double setUpUser = setUpCpu == null ? Double.NaN : setUpCpu.userNanos() / 1e9;
            double setUpSystem = setUpCpu == null ? Double.NaN : setUpCpu.systemNanos() / 1e9;
            double afterStop = report.stoppedNanos() == 0 ? Double.NaN : (t1 - report.stoppedNanos()) / 1e9;
            long peak = ProcessUsage.statusBytes("VmHWM");
            RecordingFacts facts = RecordingFacts.read(jfr);
            double[] run = report.vms().stream().mapToDouble(v -> v.runNanos() / 1e6).toArray();
            double[] onCpu = report.vms().stream().mapToDouble(v -> facts.onCpu().getOrDefault(v.name(), 0L) / 1e6).toArray();
            double[] firsts = facts.firstSchedIn().values().stream().mapToDouble(t -> t / 1e6).toArray();
            long ran = report.vms().stream().map(VmReport::name).filter(facts.firstSchedIn()::containsKey).count();
            double spread = firsts.length == 0 ? Double.NaN : Stats.max(firsts) - Stats.min(firsts);
            // The recording's kernel times and the report's instants are both CLOCK_MONOTONIC.
            double last = firsts.length == 0 ? Double.NaN : Stats.max(firsts) - report.startedNanos() / 1e6;
            double release = (report.releasedNanos() - report.startedNanos()) / 1e6;
            return new Result(vms, duration, null, wall, setUp, creating, setUpUser, setUpSystem, afterStop, ran, release, spread, last, Stats.min(run), Stats.max(run), Stats.min(onCpu),
                    Stats.median(onCpu), Stats.max(onCpu), peak, (double) (peak - rssBefore) / vms, facts);
        } finally {
            Files.deleteIfExists(jfr);
            Files.deleteIfExists(dir);
        }
    }
}
