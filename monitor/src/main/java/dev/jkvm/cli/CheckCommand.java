package dev.jkvm.cli;

import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.kvm.Kvm;
import dev.jkvm.kvm.KvmAvailability;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** `jkvm check`: can KVM be used here? Exit 0 only when it can. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check whether KVM is usable here: /dev/kvm, API version, vendor module, key capabilities.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:KVM is usable", "3:KVM is not usable (the reason and what to do are printed)"})
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

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        KvmAvailability.Verdict v = KvmAvailability.probe();
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
}
