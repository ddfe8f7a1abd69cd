package dev.jkvm.cli;

import dev.jkvm.bench.BenchSuites;
import dev.jkvm.util.Durations;
import dev.jkvm.util.OutputFile;
import dev.jkvm.util.UsageException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** `jkvm bench`: suites that each measure jkvm against a reference in the same run and print the ratio. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmarks, each against a reference measured in the same run.",
            "Rounds alternate between jkvm and its reference, so noise hits both. Suites:",
            "  --exits N    one port-I/O exit round trip: the Java KVM_RUN loop vs a C reference monitor (built here)",
            "  --start N    create N VMs and run each to its first exit: Java vs the C reference; memory per VM",
            "  --record     exit round trip unrecorded vs each JFR profile; recording sizes",
            "  --scale N,…  N spin VMs on one CPU for --duration: wall time, start and run-time spreads, RSS, recorder lag, bytes/switch",
            "  --analyze F  jkvm analyze on recording F vs the JDK's JFR parser alone on F: events/s (needs no KVM)",
            "Without a suite, --exits 100000 runs. Numbers are reported, never judged: the exit code is 0 unless a run broke."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every suite ran (whatever its numbers)",
            "1:internal error (a run broke, or --json could not be written after the run)",
            "2:usage error (nothing was started)",
            "3:KVM unavailable (and the sandbox could not be used)"
        })
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--exits", paramLabel = "N", description = "Exit round-trip suite with N exits per run (the default suite, 100000).")
    Long exits;

    @Option(names = "--start", paramLabel = "N", description = "VM create → first exit suite with N VMs per run.")
    Integer start;

    @Option(names = "--record", description = "Recording overhead suite (io-ping, --pings per run).")
    boolean record;

    @Option(names = "--pings", paramLabel = "N", defaultValue = "200000", description = "Pings per run of --record (default: ${DEFAULT-VALUE}).")
    long pings;

    @Option(names = "--scale", paramLabel = "N", split = ",", description = "Scale suite, once per VM count (e.g. 8,64,256).")
    List<Integer> scale;

    @Option(names = "--analyze", paramLabel = "FILE", description = "Analysis speed suite on the recording FILE (e.g. from jkvm run --jfr).")
    Path analyze;

    @Option(names = "--duration", paramLabel = "D", defaultValue = "5s", description = "How long each --scale run lasts (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--cpu", paramLabel = "C", description = "The CPU --record and --scale pin their VMs to (default: the last CPU this process may use).")
    Integer cpu;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "5", description = "Rounds of --exits, --start, --record and --analyze (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write every suite's results as JSON to FILE.")
    Path json;

    @Option(names = "--cc", paramLabel = "COMPILER", defaultValue = "gcc", description = "C compiler for the reference (default: ${DEFAULT-VALUE}).")
    String compiler;

    @Mixin
    SandboxChoice sandbox;

    /** At about a microsecond an exit on the fastest host, a run of more would take hours. */
    static final long MAX_EXITS = 1_000_000_000L;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        // The options are checked first, so a mistake is reported here and not after booting the sandbox.
        var parsed = spec.commandLine().getParseResult();
        // An option of a suite that does not run would be ignored without a word (--pings 100 ran the --exits suite).
        if (parsed.hasMatchedOption("--pings") && !record) throw new UsageException("--pings sets the pings of --record: give --record too");
        if (parsed.hasMatchedOption("--duration") && scale == null) throw new UsageException("--duration sets how long each --scale run lasts: give --scale too");
        if (exits != null && exits > MAX_EXITS) {
            throw new UsageException("--exits " + exits + " is more than " + MAX_EXITS + " (each of the Java and C runs of every round, and a warm-up, make that many)");
        }
        BenchSuites.Plan plan = new BenchSuites.Plan(
                exits == null && start == null && !record && scale == null && analyze == null ? Long.valueOf(100_000) : exits,
                start, record, pings, scale == null ? List.of() : scale, analyze, Durations.parse(duration), cpu, rounds, compiler, json);
        if (plan.json() != null) OutputFile.requireWritable(plan.json(), "--json"); // now, not after the benchmarks ran
        // Each --scale and --start count is as many VMs at once as a run's --vms: refused here, not after minutes of creation.
        long spinRam = HostLimits.residentRam(dev.jkvm.guest.GuestCatalog.builtInManifest("spin").memory());
        for (int n : plan.scale()) {
            HostLimits.requireRoomFor("--scale", n, n * spinRam);
            HostLimits.requireThreadsFor(n);
        }
        if (plan.start() != null) HostLimits.requireRoomFor("--start", plan.start(), plan.start() * spinRam);
        if (!plan.needsNoKvm()) {
            if (sandbox.shouldDelegate()) return sandbox.delegate(spec, out, List.of());
            dev.jkvm.kvm.KvmAvailability.ensureUsable();
        }
        try {
            BenchSuites.run(plan, out);
        } catch (OutputFile.NotWritten e) { // checked before the run: the disk filled or failed since
            spec.commandLine().getErr().println("jkvm: " + e.getMessage() + " (the results are printed above)");
            spec.commandLine().getErr().flush();
            return ExitCodes.INTERNAL;
        }
        return ExitCodes.OK;
    }
}
