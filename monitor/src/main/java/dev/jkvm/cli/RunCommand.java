package dev.jkvm.cli;

import dev.jkvm.devices.SerialLog;
import dev.jkvm.exits.ExitStats;
import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentReport;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.experiment.VmReport;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.util.Durations;
import dev.jkvm.util.Sizes;
import dev.jkvm.util.UsageException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import dev.jkvm.guest.GuestLayout;
import dev.jkvm.jfr.JfrProfiles;
import dev.jkvm.jfr.JfrSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** `jkvm run`: runs N VMs of one guest, streams their serial output, and reports how each ended. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Run one or more VMs of a guest on KVM.",
            "Each VM's serial output is printed with its name in front; at the end, how each guest ended and its exits by reason.",
            "Options can be kept in a file and given as @FILE (one option per line)."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every guest halted, exited with status 0, or ran until --duration",
            "1:internal error",
            "2:usage error (nothing was started)",
            "3:KVM unavailable (and the sandbox could not be used)",
            "4:a guest faulted or exited with a non-zero status",
            "130/143/129:stopped by SIGINT/SIGTERM/SIGHUP (128 + the signal): every VM stopped, summary printed, recording complete; a second signal exits at once with the same code"
        })
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--guest", required = true, paramLabel = "NAME|PATH",
            description = {"A built-in guest (see 'jkvm guests') or a path to an image (ELF64, or flat with NAME.manifest beside it).",
                "Repeat to give each VM its own guest: vm0 gets the first, vm1 the second, and so on."})
    java.util.List<String> guests;

    @Option(names = "--vms", paramLabel = "N", description = "Number of VMs, one vCPU each (default: 1, or one per --guest).")
    Integer vms;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Guest RAM per VM, e.g. 4M (default: the guest's manifest).")
    String memory;

    @Option(names = "--duration", paramLabel = "D", description = "Stop the guests after D (e.g. 500ms, 5s, 2m); default: run until every guest ends.")
    String duration;

    @Option(names = "--arg", paramLabel = "N", description = "Value each guest finds in RDI (default: the manifest's arg, else 0).")
    Long arg;

    @Option(names = "--cpu", paramLabel = "C", description = "Pin every vCPU thread to CPU C, so the VMs time-share it.")
    Integer cpu;

    @Option(names = "--nice", paramLabel = "vmI=K", split = ",",
            description = "Nice value of a VM's vCPU thread, e.g. --nice vm0=0,vm1=5 (unequal CFS weights).")
    Map<String, Integer> nice = new LinkedHashMap<>();

    @Option(names = "--jfr", paramLabel = "FILE", description = "Record into this JFR file (open it in JDK Mission Control or with 'jfr print').")
    Path jfr;

    @Option(names = "--profile", paramLabel = "NAME", defaultValue = "jkvm-sched",
            description = "JFR profile for --jfr: jkvm-sched (switches and summaries, low overhead) or jkvm-full (per-exit events too). Default: ${DEFAULT-VALUE}.")
    String profile;

    @Option(names = "--quiet", description = "Do not stream the guests' serial output.")
    boolean quiet;

    @Option(names = "--serial-out", paramLabel = "DIR",
            description = "Write each VM's whole serial output to DIR/vmN.serial (created if missing; works with --quiet).")
    Path serialOut;

    @Option(names = "--serial-cap", paramLabel = "SIZE",
            description = "With --serial-out: at most SIZE bytes per VM file; later bytes are counted and a note ends the file. Default: 64M.")
    String serialCap;

    @Mixin
    SandboxChoice sandbox;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ExperimentReport report;
        // Handlers first, so a signal during the checks below does not end the JVM half-way through
        // one (the recording's writability check creates and removes a file).
        try (StopSignals signals = StopSignals.install(spec.commandLine().getErr())) {
            ExperimentSpec experiment = toSpec();
            if (sandbox.shouldDelegate()) {
                signals.close(); // the sandbox's process handles the signals itself
                List<Path> writable = new ArrayList<>();
                if (jfr != null) writable.add(jfr.toAbsolutePath().getParent());
                if (serialOut != null) writable.add(serialOut.toAbsolutePath());
                return sandbox.delegate(spec, out, writable);
            }
            if (signals.received() != null) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("jkvm: " + signals.received().name() + " before any VM was created: nothing started, nothing recorded");
                err.flush();
                return ExitCodes.signalled(signals.received());
            }
            Experiment run = new Experiment(experiment, out).withStatusLine(Experiment.outputIsTerminal())
                    .withSerialOut(serialOut, serialCapBytes());
            signals.forwardTo(run::requestStop);
            report = run.run();
            printSummary(out, report);
            if (report.recordingProblem() != null) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("jkvm: " + report.recordingProblem());
                err.flush();
                return ExitCodes.INTERNAL;
            }
            if (signals.received() != null) return ExitCodes.signalled(signals.received());
        }
        if (report.anyMonitorError()) return ExitCodes.INTERNAL;
        return report.anyUnclean() ? ExitCodes.GUEST_FAULT : ExitCodes.OK;
    }

    ExperimentSpec toSpec() {
        int n = vms != null ? vms : guests.size();
        if (n < 1) throw new UsageException("--vms must be at least 1, got " + n);
        if (guests.size() > 1 && guests.size() != n) {
            throw new UsageException(guests.size() + " guests given for " + n + " VMs: give one --guest for all VMs, or one per VM");
        }
        Long mem = null;
        if (memory != null) {
            mem = Sizes.parse(memory);
            String bad = GuestLayout.memoryProblem(mem);
            if (bad != null) throw new UsageException("--memory " + bad + ", got " + memory);
        }
        HostLimits.requireRoomFor(n);
        Map<Integer, Integer> niceByVm = new LinkedHashMap<>();
        nice.forEach((k, v) -> {
            if (!k.matches("vm\\d+")) throw new UsageException("--nice takes vmI=K (e.g. vm1=5), got '" + k + "=" + v + "'");
            // Compare as text first: vm99999999999 is a name the run does not have, not a number to overflow.
            String digits = k.substring(2).replaceFirst("^0+(?=\\d)", "");
            if (digits.length() > 9 || Integer.parseInt(digits) >= n) {
                throw new UsageException("--nice names " + k + " but the run has vm0..vm" + (n - 1));
            }
            niceByVm.put(Integer.parseInt(digits), v);
        });
        if (jfr != null) JfrSession.requireWritable(jfr);
        if (serialCap != null && serialOut == null) throw new UsageException("--serial-cap limits the files of --serial-out DIR; give --serial-out too");
        if (serialOut != null) SerialLog.requireUsable(serialOut, serialCapBytes());
        OptionalLong memOverride = mem == null ? OptionalLong.empty() : OptionalLong.of(mem);
        Map<String, GuestImage> images = new LinkedHashMap<>();
        List<ExperimentSpec.VmSpec> specs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            GuestImage image = images.computeIfAbsent(guests.get(guests.size() == 1 ? 0 : i), g -> GuestCatalog.resolve(g, memOverride));
            specs.add(new ExperimentSpec.VmSpec(image, mem != null ? mem : image.manifest().memory(),
                    arg != null ? arg : image.manifest().arg().orElse(0), niceByVm.get(i)));
        }
        Duration d = duration == null ? null : Durations.parse(duration);
        JfrProfiles.requireKnown(profile);
        ExperimentSpec s = new ExperimentSpec(specs, d, cpu == null ? OptionalInt.empty() : OptionalInt.of(cpu), jfr, profile, !quiet);
        Experiment.validate(s);
        return s;
    }

    private long serialCapBytes() {
        if (serialCap == null) return SerialLog.DEFAULT_CAP;
        try {
            return Sizes.parse(serialCap);
        } catch (UsageException e) {
            throw new UsageException("--serial-cap: " + e.getMessage());
        }
    }

    static void printSummary(PrintWriter out, ExperimentReport report) {
        for (VmReport vm : report.vms()) {
            ExitStats ex = vm.exits();
            StringJoiner byReason = new StringJoiner(", ");
            for (int code : ex.codesSeen()) {
                ExitStats.Snapshot s = ex.snapshot(code);
                byReason.add(s.reasonName() + " " + s.count());
            }
            out.printf("jkvm: %s %s after %s: %d exits%s%s%n", vm.name(), vm.result().describe(),
                    Durations.format(Duration.ofNanos(vm.runNanos())), ex.total(),
                    ex.total() == 0 ? "" : " (" + byReason + ")",
                    vm.progressCounter() == null ? "" : ", progress counter " + vm.progressCounter());
            if (vm.unknownPortReads() + vm.unknownPortWrites() + vm.mmioReads() + vm.mmioWrites() > 0) {
                out.printf("jkvm: %s unknown ports: %d reads, %d writes; MMIO: %d reads, %d writes (no device)%n", vm.name(),
                        vm.unknownPortReads(), vm.unknownPortWrites(), vm.mmioReads(), vm.mmioWrites());
            }
        }
        out.flush();
    }
}
