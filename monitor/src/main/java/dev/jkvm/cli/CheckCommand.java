package dev.jkvm.cli;

import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.host.HostFiles;
import dev.jkvm.host.RunnerFitness;
import dev.jkvm.kvm.Kvm;
import dev.jkvm.kvm.KvmAvailability;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** `jkvm check`: can KVM be used here? Exit 0 only when it can. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check whether KVM is usable here: /dev/kvm, API version, vendor module, key capabilities.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:KVM is usable (with --runner: the machine is fit for regression runs)",
            "3:KVM is not usable (the reason and what to do are printed; with --runner this is a FAIL line and exit 6)",
            "6:with --runner: the machine is not fit for regression runs (each FAIL line says why and the fix)"})
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    private record Capability(String name, int id) {}

    private static final List<Capability> CAPABILITIES = List.of(
            new Capability("KVM_CAP_USER_MEMORY", LinuxHeaders.KVM_CAP_USER_MEMORY()),
            new Capability("KVM_CAP_SET_TSS_ADDR", LinuxHeaders.KVM_CAP_SET_TSS_ADDR()),
            new Capability("KVM_CAP_EXT_CPUID", LinuxHeaders.KVM_CAP_EXT_CPUID()),
            new Capability("KVM_CAP_IMMEDIATE_EXIT", LinuxHeaders.KVM_CAP_IMMEDIATE_EXIT()),
            new Capability("KVM_CAP_GET_TSC_KHZ", LinuxHeaders.KVM_CAP_GET_TSC_KHZ()),
            new Capability("KVM_CAP_BINARY_STATS_FD", LinuxHeaders.KVM_CAP_BINARY_STATS_FD()),
            new Capability("KVM_CAP_STEAL_TIME", LinuxHeaders.KVM_CAP_STEAL_TIME()),
            new Capability("KVM_CAP_NR_VCPUS", LinuxHeaders.KVM_CAP_NR_VCPUS()),
            new Capability("KVM_CAP_NR_MEMSLOTS", LinuxHeaders.KVM_CAP_NR_MEMSLOTS()));

    @Option(names = "--runner", description = {"Say whether this machine is fit for regression runs: KVM, vendor module, perf_event_paranoid,",
            "tracefs, kprobes, an isolated CPU, governor, SMT, THP; one line each (ok/WARN/FAIL) with the fix.",
            "Exit 0 only when nothing FAILs."})
    boolean runner;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        KvmAvailability.Verdict v = KvmAvailability.probe();
        if (runner) return runner(out, v);
        if (!v.usable()) {
            out.println("KVM: not usable");
            out.println("why: " + v.reason());
            return ExitCodes.KVM_UNAVAILABLE;
        }
        out.println("KVM: usable");
        out.println("device: " + KvmAvailability.DEV_KVM);
        out.println("API version: " + v.apiVersion());
        out.println("vendor module: " + KvmAvailability.vendorModules());
        try (Kvm kvm = Kvm.open()) {
            out.println("vCPU mmap size: " + kvm.vcpuMmapSize() + " bytes");
            for (Capability c : CAPABILITIES) {
                int value = kvm.checkExtension(c.id());
                out.printf("%-26s %s%n", c.name() + ":", value == 0 ? "no" : value == 1 ? "yes" : "yes (" + value + ")");
            }
        }
        return ExitCodes.OK;
    }

    private static int runner(PrintWriter out, KvmAvailability.Verdict v) {
        List<RunnerFitness.Finding> findings = RunnerFitness.assess(HostFiles.live(), v.usable(),
                v.usable() ? "usable (API version " + v.apiVersion() + ", " + KvmAvailability.DEV_KVM + ")" : v.reason());
        for (RunnerFitness.Finding f : findings) out.println(f.line());
        long fails = findings.stream().filter(f -> f.level() == RunnerFitness.Level.FAIL).count();
        long warns = findings.stream().filter(f -> f.level() == RunnerFitness.Level.WARN).count();
        out.println(RunnerFitness.fit(findings)
                ? "runner: fit for regression runs" + (warns == 0 ? "" : " (" + warns + " WARN)")
                : "runner: NOT fit for regression runs (" + fails + " FAIL, " + warns + " WARN)");
        out.flush();
        return RunnerFitness.fit(findings) ? ExitCodes.OK : ExitCodes.UNFIT_RUNNER;
    }
}
