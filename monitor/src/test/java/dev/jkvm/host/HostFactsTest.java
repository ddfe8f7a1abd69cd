package dev.jkvm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** HostFacts parsed from captured kernel files: this project's kvm_pvm machine, and an Intel bare-metal runner's. */
class HostFactsTest {

    /** Two processors' blocks as /proc/cpuinfo prints them (fields shortened). */
    static final String CPUINFO = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            cpu family\t: 25
            model name\t: AMD EPYC
            microcode\t: 0x1000065
            flags\t\t: fpu vme de pse

            processor\t: 1
            vendor_id\t: AuthenticAMD
            cpu family\t: 25
            model name\t: AMD EPYC
            microcode\t: 0x1000066
            flags\t\t: fpu vme de pse

            """;

    /** Captured on the development machine (2026-11-26): a Firecracker guest with kvm_pvm built in, no cpufreq, no nohz_full file. */
    static Map<String, String> kvmPvmMachine() {
        Map<String, String> f = new HashMap<>();
        f.put("/proc/sys/kernel/osrelease", "6.18.44-fc-v657\n");
        f.put("/proc/cmdline", "mitigations=auto console=ttyS0 quiet nested_pvm=1\n");
        f.put("/proc/cpuinfo", CPUINFO);
        f.put("/sys/module/kvm/parameters/halt_poll_ns", "200000\n");
        f.put("/sys/module/kvm/parameters/tdp_mmu", "N\n");
        f.put("/sys/module/kvm/parameters/ignore_msrs", "N\n"); // present but not a scheduling parameter
        f.put("/sys/module/kvm_pvm/parameters/pvm_debug", "N\n");
        f.put("/sys/module/kvmgt/parameters/x", "1\n"); // not a vendor module (no "kvm_" prefix)
        f.put("/sys/devices/system/cpu/smt/control", "notsupported\n");
        f.put("/sys/devices/system/cpu/isolated", "\n");
        f.put("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
        return f;
    }

    /** An Intel runner: kvm_intel, SMT on, isolcpus=3 nohz_full=3, performance governor, THP always. */
    static Map<String, String> intelRunner() {
        Map<String, String> f = new HashMap<>(kvmPvmMachine());
        f.keySet().removeIf(p -> p.startsWith("/sys/module/kvm_pvm") || p.startsWith("/sys/module/kvmgt"));
        f.put("/proc/cpuinfo", CPUINFO.replace("AuthenticAMD", "GenuineIntel").replace("AMD EPYC", "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz"));
        f.put("/sys/module/kvm_intel/parameters/ple_gap", "128\n");
        f.put("/sys/module/kvm_intel/parameters/ple_window", "4096\n");
        f.put("/sys/module/kvm_intel/parameters/enable_apicv", "Y\n");
        f.put("/sys/module/kvm_intel/parameters/ept", "Y\n");
        f.put("/sys/module/kvm_intel/parameters/nested", "N\n");
        f.put("/sys/devices/system/cpu/smt/control", "on\n");
        f.put("/sys/devices/system/cpu/isolated", "3\n");
        f.put("/sys/devices/system/cpu/nohz_full", "3\n");
        f.put("/sys/devices/system/cpu/cpu3/cpufreq/scaling_governor", "performance\n");
        f.put("/sys/devices/system/cpu/cpu3/cpufreq/scaling_min_freq", "800000\n");
        f.put("/sys/devices/system/cpu/cpu3/cpufreq/scaling_max_freq", "3200000\n");
        f.put("/sys/devices/system/cpu/cpu3/cpufreq/cpuinfo_min_freq", "800000\n");
        f.put("/sys/devices/system/cpu/cpu3/cpufreq/cpuinfo_max_freq", "3200000\n");
        f.put("/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
        return f;
    }

    @Test
    void theKvmPvmMachineSaysWhatItDoesNotExpose() {
        HostFacts h = HostFacts.read(HostFiles.of(kvmPvmMachine()), 1, "0.1.0", "25");
        assertEquals("6.18.44-fc-v657", h.kernelRelease());
        assertEquals("mitigations=auto console=ttyS0 quiet nested_pvm=1", h.kernelCommandLine());
        assertEquals("AuthenticAMD", h.cpuVendor());
        assertEquals("AMD EPYC", h.cpuModel());
        assertEquals("0x1000066", h.microcode(), "the experiment CPU's own block");
        assertEquals("kvm_pvm", h.vendorModule());
        assertEquals("other", h.vendorKind());
        assertEquals("kvm.halt_poll_ns=200000 kvm.tdp_mmu=N", h.kvmParameters());
        assertEquals("notsupported", h.smt());
        assertEquals(HostFacts.NOT_EXPOSED, h.governor());
        assertEquals(HostFacts.NOT_EXPOSED, h.frequencyRange());
        assertEquals("none", h.isolatedCpus());
        assertEquals(HostFacts.NOT_EXPOSED, h.nohzFull());
        assertEquals("madvise", h.transparentHugepages());
    }

    @Test
    void anIntelRunnerWithAnIsolatedCpu() {
        HostFacts h = HostFacts.read(HostFiles.of(intelRunner()), 3, "0.1.0", "25");
        assertEquals("GenuineIntel", h.cpuVendor());
        assertEquals("Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", h.cpuModel());
        assertEquals("0x1000065", h.microcode(), "CPU 3 has no block of its own in the capture: the first one's");
        assertEquals("kvm_intel", h.vendorKind());
        assertEquals("kvm.halt_poll_ns=200000 kvm.tdp_mmu=N kvm_intel.ept=Y kvm_intel.enable_apicv=Y kvm_intel.ple_gap=128"
                + " kvm_intel.ple_window=4096 kvm_intel.nested=N", h.kvmParameters());
        assertEquals("on", h.smt());
        assertEquals("performance", h.governor());
        assertEquals("800–3200 MHz (hardware 800–3200)", h.frequencyRange());
        assertEquals("3", h.isolatedCpus());
        assertEquals("3", h.nohzFull());
        assertEquals("always", h.transparentHugepages());
    }

    @Test
    void emptyNohzFullAndNoVendorModule() {
        Map<String, String> f = kvmPvmMachine();
        f.keySet().removeIf(p -> p.startsWith("/sys/module/kvm_pvm"));
        f.put("/sys/devices/system/cpu/nohz_full", "(null)\n");
        HostFacts h = HostFacts.read(HostFiles.of(f), 0, "0.1.0", "25");
        assertEquals("none", h.vendorModule());
        assertEquals("none", h.vendorKind());
        assertEquals("none", h.nohzFull());
        assertEquals("0x1000065", h.microcode());
    }

    @Test
    void nothingReadableIsNotExposedEverywhere() {
        HostFacts h = HostFacts.read(HostFiles.of(Map.of()), 0, "0.1.0", "25");
        assertEquals(HostFacts.NOT_EXPOSED, h.kernelRelease());
        assertEquals(HostFacts.NOT_EXPOSED, h.cpuModel());
        assertEquals("none exposed", h.kvmParameters());
        assertEquals(HostFacts.NOT_EXPOSED, h.transparentHugepages());
    }
}
