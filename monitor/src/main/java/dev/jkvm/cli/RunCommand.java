package dev.jkvm.cli;

import dev.jkvm.analysis.BadRecordingException;
import dev.jkvm.analysis.RecordingAnalysis;
import dev.jkvm.analysis.expect.Expectation;
import dev.jkvm.analysis.expect.JunitXml;
import dev.jkvm.analysis.expect.Verdict;
import dev.jkvm.devices.SerialLog;
import dev.jkvm.exits.ExitStats;
import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentReport;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.experiment.ForeignHogs;
import dev.jkvm.experiment.VmReport;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.linux.LinuxGuests;
import dev.jkvm.util.Durations;
import dev.jkvm.util.Sizes;
import dev.jkvm.util.SuddenExit;
import dev.jkvm.util.DistinctFiles;
import dev.jkvm.util.OutputFile;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
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
            "With --expect, the recording (--jfr, else a temporary file) is analyzed at the end and each expectation judged.",
            "With --cpu, a last line says whether that CPU was the VMs' alone (a warning above 1 %% foreign time or 5 %% SMT sibling load).",
            "Options can be kept in a file and given as @FILE (one option per line)."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every guest halted, exited with status 0, or ran until --duration",
            "1:internal error: a VM's vCPU thread failed (monitor error), a helper thread failed (the recorder, a sampler: the run goes on, the recording lacks its events from then on), or the recording could not be written",
            "2:usage error (nothing was started)",
            "3:KVM unavailable (and the sandbox could not be used)",
            "4:a guest faulted or exited with a non-zero status",
            "5:an --expect expectation failed (the guests ended cleanly)",
            "130/143/129:stopped by SIGINT/SIGTERM/SIGHUP (128 + the signal): every VM stopped, summary printed, recording complete; a second signal exits at once with the same code"
        })
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--guest", required = true, paramLabel = "NAME|PATH",
            description = {"A built-in guest (see 'jkvm guests') or a path to an image (ELF64, or flat with NAME.manifest beside it).",
                "Repeat to give each VM its own guest: vm0 gets the first, vm1 the second, and so on."})
    java.util.List<String> guests;

    @Option(names = "--vms", paramLabel = "N", description = "Number of VMs (default: 1, or one per --guest).")
    Integer vms;

    @Option(names = "--vcpus", paramLabel = "K|vmI=K", split = ",",
            description = {"vCPUs per VM, each its own thread pinned like the rest: --vcpus 2 for every VM, --vcpus vm1=4 for one",
                "(default: the guest's manifest, 1 for most guests). Names: vm0 for a VM of one vCPU, vm0/cpu1 in an SMP VM."})
    List<String> vcpus = new ArrayList<>();

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

    @Option(names = "--profile", paramLabel = "NAME|FILE", defaultValue = "jkvm-sched",
            description = "JFR profile for --jfr: jkvm-sched (switches and summaries, low overhead), jkvm-full (per-exit events too), or a .jfc file "
                    + "(e.g. one 'jfr configure' wrote from them). Default: ${DEFAULT-VALUE}.")
    String profile;

    @Option(names = "--initrd", paramLabel = "PATH", description = "Initrd (initramfs) for a Linux kernel given with --guest PATH to a bzImage.")
    Path initrd;

    @Option(names = "--cmdline", paramLabel = "[vmI=]TEXT",
            description = {"Appended to a Linux guest's kernel command line (default: " + dev.jkvm.guest.LinuxBoot.DEFAULT_CMDLINE + ").",
                "vmI=TEXT appends to VM I only; repeat for several VMs. Text without vmI= goes to every Linux VM."})
    List<String> cmdlines = new ArrayList<>();

    @Option(names = "--quiet", description = "Do not stream the guests' serial output.")
    boolean quiet;

    /** Set by regress where its --timeout stands in for --duration: what the stopped VMs' results say (null: "duration elapsed"). */
    String deadlineReason;

    @Option(names = "--serial-out", paramLabel = "DIR",
            description = "Write each VM's whole serial output to DIR/vmN.serial (created if missing; works with --quiet).")
    Path serialOut;

    @Option(names = "--serial-cap", paramLabel = "SIZE",
            description = "With --serial-out: at most SIZE bytes per VM file; later bytes are counted and a note ends the file. Default: 64M.")
    String serialCap;

    @Option(names = "--foreign-hog", paramLabel = "N", defaultValue = "0",
            description = {"Start N busy processes (a shell loop) pinned to --cpu for the run: foreign load the VMs share the CPU with.",
                "The run hygiene line and `jkvm analyze` show their time; the summary says how long they ran by their own schedstat. At most "
                        + ForeignHogs.MAX + "."})
    int foreignHogs;

    @Mixin
    SandboxChoice sandbox;

    @Mixin
    ExpectOptions expect;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Handlers first, so a signal during the checks below does not end the JVM half-way through
        // one (the recording's writability check creates and removes a file).
        try (StopSignals signals = StopSignals.install(err)) {
            List<Expectation> expectations = expect.parse();
            if (jfr == null && expectations.isEmpty() && spec.commandLine().getParseResult().hasMatchedOption("--profile")) {
                throw new UsageException("--profile " + profile + " chooses what --jfr records, and nothing is recorded: give --jfr FILE too");
            }
            ExperimentSpec experiment = toSpec();
            if (sandbox.shouldDelegate()) {
                signals.close(); // the sandbox's process handles the signals itself
                List<Path> writable = new ArrayList<>();
                if (jfr != null) writable.add(jfr.toAbsolutePath().getParent());
                if (expect.junit != null) writable.add(expect.junit.toAbsolutePath().getParent());
                if (serialOut != null) writable.add(serialOut.toAbsolutePath());
                return sandbox.delegate(spec, out, writable);
            }
            if (signals.received() != null) {
                err.println("jkvm: " + signals.received().name() + " before any VM was created: nothing started, nothing recorded");
                err.flush();
                return ExitCodes.signalled(signals.received());
            }
            // Expectations are judged on the recording: without --jfr it goes to a temporary file, deleted at the end.
            Path temporary = expectations.isEmpty() || jfr != null ? null : expectationsRecording();
            if (temporary != null) SuddenExit.deleteOnHalt(temporary);
            try {
                Path recording = temporary != null ? temporary : jfr;
                if (temporary != null) experiment = toSpec(temporary);
                signals.noteIgnored(); // after the checks: a usage error stays one line
                Outcome outcome = runHere(experiment, out, err, Experiment.outputIsTerminal(), signals);
                if (expectations.isEmpty()) return outcome.code();
                // A stopped run or an unwritten recording judges nothing, and says so in the JUnit file
                // too: CI reading only that file must not find it missing or green.
                boolean judged = !outcome.stopped() && outcome.report().recordingProblem() == null;
                List<Verdict> verdicts = judged ? judge(expectations, recording)
                        : ExpectOptions.unreadable(expectations, outcome.stopped() ? "the run was stopped by a signal" : outcome.report().recordingProblem());
                if (judged) ExpectOptions.print(out, verdicts);
                int code = outcome.code() == ExitCodes.OK && ExpectOptions.anyFailed(verdicts) ? ExitCodes.EXPECTATION_FAILED : outcome.code();
                if (expect.junit != null) {
                    String name = jfr != null ? jfr.getFileName().toString().replaceFirst("\\.jfr$", "") : "run";
                    List<JunitXml.Case> cases = new ArrayList<>();
                    cases.addAll(ExpectOptions.endingCases(outcome));
                    for (Verdict v : verdicts) cases.add(JunitXml.Case.of(v));
                    try {
                        ExpectOptions.writeJunit(expect.junit, List.of(new JunitXml.Suite(name, outcome.seconds(), cases)));
                    } catch (OutputFile.NotWritten e) {
                        // Checked before the run, so the disk filled or failed since: said, and a clean
                        // run fails; a guest's fault or a failed expectation keeps its own code.
                        err.println("jkvm: " + e.getMessage());
                        err.flush();
                        if (code == ExitCodes.OK) code = ExitCodes.INTERNAL;
                    }
                }
                return code;
            } finally {
                if (temporary != null) {
                    Files.deleteIfExists(temporary);
                    SuddenExit.forget(temporary);
                }
            }
        }
    }

    /** How a run here ended: its exit code (before expectations), its report, whether a signal stopped it, its wall time. */
    record Outcome(int code, ExperimentReport report, boolean stopped, double seconds) {}

    /** The temporary file a run with --expect and without --jfr records into; a usage error when java.io.tmpdir takes none. */
    private static Path expectationsRecording() {
        try {
            return Files.createTempFile("jkvm-expect-", ".jfr");
        } catch (IOException e) {
            throw new UsageException("--expect without --jfr records into a temporary file, and " + System.getProperty("java.io.tmpdir")
                    + " takes none (" + dev.jkvm.util.IoErrors.reason(e) + "); give --jfr FILE or JKVM_JAVA_OPTS=-Djava.io.tmpdir=DIR");
        }
    }

    /** Runs the experiment in this process (KVM usable here) under its own signal handlers (`jkvm regress`: one run after another). */
    Outcome runHere(ExperimentSpec experiment, PrintWriter out, PrintWriter err, boolean statusLine) throws InterruptedException {
        try (StopSignals signals = StopSignals.install(err)) {
            return runHere(experiment, out, err, statusLine, signals);
        }
    }

    /** Runs the experiment in this process (KVM usable here), prints the summary, returns how it ended; a signal stops it. */
    Outcome runHere(ExperimentSpec experiment, PrintWriter out, PrintWriter err, boolean statusLine, StopSignals signals)
            throws InterruptedException {
        long t0 = System.nanoTime();
        Experiment run = new Experiment(experiment, out).withStatusLine(statusLine).withSerialOut(serialOut, serialCapBytes());
        if (deadlineReason != null) run.withDeadlineReason(deadlineReason);
        signals.forwardTo(run::requestStop);
        ExperimentReport report;
        try (ForeignHogs hogs = foreignHogs == 0 ? ForeignHogs.none() : ForeignHogs.start(foreignHogs, cpu)) {
            try {
                report = run.run();
            } catch (Experiment.StoppedBeforeAnyVm e) {
                err.println("jkvm: " + (signals.received() != null ? signals.received().name() : "a stop")
                        + " before any VM was created: nothing started, nothing recorded");
                err.flush();
                int code = signals.received() != null ? ExitCodes.signalled(signals.received()) : ExitCodes.INTERNAL;
                return new Outcome(code, null, true, (System.nanoTime() - t0) / 1e9);
            }
            if (!report.vms().isEmpty()) ArchiveTraining.guestsRan();
            hogs.close(); // before the summary, which says how long they ran
            printSummary(out, report);
            if (hogs.describe() != null) out.println("jkvm: " + hogs.describe());
            out.flush();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (report.recordingProblem() != null) {
            err.println("jkvm: " + report.recordingProblem());
            err.flush();
            return new Outcome(ExitCodes.INTERNAL, report, false, seconds);
        }
        if (!report.helperFailures().isEmpty()) { // said when it happened; again here, where it is not scrolled away
            for (String f : report.helperFailures()) err.println("jkvm: the run is incomplete: " + f);
            err.flush();
            return new Outcome(ExitCodes.INTERNAL, report, signals.received() != null, seconds);
        }
        if (signals.received() != null) return new Outcome(ExitCodes.signalled(signals.received()), report, true, seconds);
        int code = report.anyMonitorError() ? ExitCodes.INTERNAL : report.anyUnclean() ? ExitCodes.GUEST_FAULT : ExitCodes.OK;
        return new Outcome(code, report, false, seconds);
    }

    /** The verdicts on a finished run's recording; a recording that cannot be analyzed fails every expectation with the reason. */
    static List<Verdict> judge(List<Expectation> expectations, Path recording) {
        try {
            return ExpectOptions.judge(expectations, RecordingAnalysis.analyze(recording));
        } catch (BadRecordingException e) {
            return ExpectOptions.unreadable(expectations, e.getMessage());
        }
    }

    ExperimentSpec toSpec() {
        return toSpec(jfr);
    }

    /** The experiment these options describe, recorded into {@code recording} (null: not recorded). */
    ExperimentSpec toSpec(Path recording) {
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
        HostLimits.requireRoomFor("--vms", n, 0); // before a spec is made for each VM: --vms 99999999 is refused at once
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
        NiceLimits.require(niceByVm);
        Map<Integer, Integer> vcpusByVm = VcpuCounts.parse(vcpus, n);
        if (foreignHogs < 0 || foreignHogs > ForeignHogs.MAX) {
            throw new UsageException("--foreign-hog takes 0 to " + ForeignHogs.MAX + " processes, got " + foreignHogs);
        }
        if (foreignHogs > 0 && cpu == null) throw new UsageException("--foreign-hog needs --cpu C: the hogs share the experiment CPU with the VMs");
        requireDistinctFiles(recording, n);
        if (recording != null) JfrSession.requireWritable(recording);
        if (serialCap != null && serialOut == null) throw new UsageException("--serial-cap limits the files of --serial-out DIR; give --serial-out too");
        if (serialOut != null) SerialLog.requireUsable(serialOut, serialCapBytes(), n);
        OptionalLong memOverride = mem == null ? OptionalLong.empty() : OptionalLong.of(mem);
        Map<String, GuestImage> images = new LinkedHashMap<>();
        List<ExperimentSpec.VmSpec> specs = new ArrayList<>();
        List<String> extra = LinuxCommandLines.perVm(cmdlines, n);
        for (int i = 0; i < n; i++) {
            String guest = guests.get(guests.size() == 1 ? 0 : i);
            String cmdline = extra.get(i);
            dev.jkvm.guest.LinuxOptions linux = new dev.jkvm.guest.LinuxOptions(java.util.Optional.ofNullable(initrd), java.util.Optional.empty(),
                    dev.jkvm.guest.LinuxOptions.cmdline(cmdline));
            GuestImage image = images.computeIfAbsent(guest + "\0" + cmdline, g -> LinuxGuests.resolve(guest, memOverride, linux, arg,
                    line -> spec.commandLine().getErr().println(line)));
            if (image.linux() == null && !cmdline.isEmpty()) {
                throw new UsageException("--cmdline is for Linux guests, and vm" + i + "'s guest " + guest + " is not a Linux kernel");
            }
            specs.add(new ExperimentSpec.VmSpec(image, mem != null ? mem : image.manifest().memory(),
                    arg != null ? arg : image.manifest().arg().orElse(0), niceByVm.get(i),
                    vcpusByVm.getOrDefault(i, image.manifest().vcpus())));
        }
        if (initrd != null && specs.stream().noneMatch(v -> v.guest().linux() != null)) {
            throw new UsageException("--initrd is for a Linux kernel (--guest linux or a bzImage), and no VM here boots one");
        }
        HostLimits.requireRoomFor("--vms", n, specs.stream().mapToLong(v -> HostLimits.residentRam(v.memory())).sum());
        HostLimits.requireFilesFor(n, specs.stream().mapToLong(ExperimentSpec.VmSpec::vcpus).sum());
        HostLimits.requireThreadsFor(specs.stream().mapToLong(ExperimentSpec.VmSpec::vcpus).sum());
        Duration d = duration == null ? null : Durations.parse(duration);
        JfrProfiles.requireKnown(profile);
        ExperimentSpec s = new ExperimentSpec(specs, d, cpu == null ? OptionalInt.empty() : OptionalInt.of(cpu), recording, profile, !quiet);
        Experiment.validate(s);
        return s;
    }

    /** A usage error when the recording, --junit or a VM's serial file would overwrite an input or each other. */
    private void requireDistinctFiles(Path recording, int n) {
        DistinctFiles files = new DistinctFiles();
        for (String g : guests) {
            Path image = Path.of(g);
            if (g.isEmpty() || !Files.isRegularFile(image)) continue; // a built-in guest's name
            files.input(image, "the guest image");
            Path manifest = dev.jkvm.guest.GuestCatalog.siblingManifest(image);
            if (Files.isRegularFile(manifest)) files.input(manifest, "the guest's manifest");
        }
        if (initrd != null && !initrd.toString().isEmpty()) files.input(initrd, "the --initrd");
        if (recording != null && recording.equals(jfr)) files.output(recording, "--jfr");
        if (expect.junit != null && !expect.junit.toString().isEmpty()) files.output(expect.junit, "--junit");
        if (serialOut != null && !serialOut.toString().isEmpty()) {
            for (int i = 0; i < n; i++) files.output(SerialLog.fileOf(serialOut, "vm" + i), "vm" + i + "'s --serial-out file");
        }
    }

    /** Console lines shown after a faulted guest's summary. */
    static final int FAULT_TAIL_LINES = 8;

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
            if (vm.vcpus().size() > 1) {
                for (var v : vm.vcpus()) {
                    out.printf("jkvm: %s %s: %d exits%n", v.name(), v.result().describe(), v.exits().total());
                }
            }
            if (vm.linuxSteal() != null) {
                dev.jkvm.experiment.LinuxSteal st = vm.linuxSteal();
                out.printf("jkvm: %s steal over the workload: guest %d ms (its /proc/stat), host run-queue wait %.1f ms (schedstat of the vCPU thread); %s within %d ms%n",
                        vm.name(), st.guestStealMs(), st.hostWaitNanos() / 1e6, st.agree() ? "agree" : "DO NOT agree", st.toleranceMs());
            }
            if (vm.result() instanceof dev.jkvm.exits.GuestResult.Faulted && !vm.serialOutput().isBlank()) {
                // What the guest said last is usually why it faulted (a kernel panic's message and trace).
                List<String> lines = vm.serialOutput().strip().lines().toList();
                out.printf("jkvm: %s last console lines:%n", vm.name());
                for (String line : lines.subList(Math.max(0, lines.size() - FAULT_TAIL_LINES), lines.size())) {
                    out.printf("jkvm: %s| %s%n", vm.name(), line);
                }
            }
            if (vm.unknownPortReads() + vm.unknownPortWrites() + vm.mmioReads() + vm.mmioWrites() > 0) {
                out.printf("jkvm: %s unknown ports: %d reads, %d writes; MMIO: %d reads, %d writes (no device)%n", vm.name(),
                        vm.unknownPortReads(), vm.unknownPortWrites(), vm.mmioReads(), vm.mmioWrites());
            }
        }
        out.flush();
    }
}
