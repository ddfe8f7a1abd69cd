package dev.jkvm.host;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which machine a run happened on, as far as it changes scheduling and exits: the kernel, the CPU,
 * the KVM vendor module and the parameters of KVM that decide halt polling, pause-loop exits,
 * interrupt virtualization and paging, SMT, the experiment CPU's frequency governor and range, CPU
 * isolation, transparent huge pages, and jkvm's and the JDK's versions. Pure: everything is parsed
 * from the text {@link HostFiles} gives, so it is tested on captured files. A fact the machine does
 * not expose reads {@value #NOT_EXPOSED}.
 */
public record HostFacts(
        String kernelRelease,
        String kernelCommandLine,
        String cpuVendor,
        String cpuModel,
        String microcode,
        String vendorModule,
        String kvmParameters,
        String smt,
        int cpu,
        String governor,
        String frequencyRange,
        String isolatedCpus,
        String nohzFull,
        String transparentHugepages,
        String jkvmVersion,
        String jdkVersion) {

    public static final String NOT_EXPOSED = "not exposed";

    /**
     * The module parameters that change how often a vCPU exits or how long it stays on the CPU
     * (halt polling, pause-loop exiting, APIC virtualization, nested paging, nested virtualization,
     * timers), by module; only those the running kernel has are reported.
     */
    static final Map<String, List<String>> SCHEDULING_PARAMETERS = Map.of(
            "kvm", List.of("halt_poll_ns", "halt_poll_ns_grow", "halt_poll_ns_grow_start", "halt_poll_ns_shrink", "tdp_mmu",
                    "nx_huge_pages", "enable_pmu", "lapic_timer_advance", "lapic_timer_advance_ns", "min_timer_period_us",
                    "mitigate_smt_rsb"),
            "kvm_intel", List.of("ept", "enable_apicv", "ple_gap", "ple_window", "ple_window_grow", "ple_window_shrink",
                    "ple_window_max", "nested", "preemption_timer", "vpid", "enable_shadow_vmcs", "pml", "flexpriority"),
            "kvm_amd", List.of("npt", "avic", "force_avic", "pause_filter_count", "pause_filter_thresh", "pause_filter_count_grow",
                    "pause_filter_count_shrink", "pause_filter_count_max", "nested", "vls", "vgif", "lbrv"));

    static final String CPU = "/sys/devices/system/cpu/";

    /** This machine's facts, with {@code cpu} as the experiment CPU. */
    public static HostFacts live(int cpu) {
        return read(HostFiles.live(), cpu, currentJkvmVersion(), Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
    }

    /** jkvm's version from the jar manifest, or "development build" when run from classes. */
    public static String currentJkvmVersion() {
        String v = HostFacts.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }

    /** Reads the facts, with {@code cpu} as the experiment CPU (its governor and frequency range). */
    public static HostFacts read(HostFiles files, int cpu, String jkvmVersion, String jdkVersion) {
        Map<String, String> cpuinfo = cpuinfoOf(files.read("/proc/cpuinfo").orElse(""), cpu);
        String module = vendorModule(files);
        return new HostFacts(
                line(files, "/proc/sys/kernel/osrelease"),
                line(files, "/proc/cmdline"),
                cpuinfo.getOrDefault("vendor_id", NOT_EXPOSED),
                cpuinfo.getOrDefault("model name", NOT_EXPOSED),
                cpuinfo.getOrDefault("microcode", NOT_EXPOSED),
                module,
                kvmParameters(files, module),
                line(files, CPU + "smt/control"),
                cpu,
                line(files, CPU + "cpu" + cpu + "/cpufreq/scaling_governor"),
                frequencyRange(files, cpu),
                cpuList(files, CPU + "isolated"),
                cpuList(files, CPU + "nohz_full"),
                selected(line(files, "/sys/kernel/mm/transparent_hugepage/enabled")),
                jkvmVersion,
                jdkVersion);
    }

    /** The KVM vendor modules loaded or built in: /sys/module/kvm_* (kvm_intel, kvm_amd, or another such as kvm_pvm); "none". */
    static String vendorModule(HostFiles files) {
        List<String> found = files.list("/sys/module").stream().filter(m -> m.startsWith("kvm_")).toList();
        return found.isEmpty() ? "none" : String.join(",", found);
    }

    /** "kvm_intel", "kvm_amd" or "other" (e.g. kvm_pvm), "none" when no vendor module is there. */
    public String vendorKind() {
        if (vendorModule.equals("none")) return "none";
        List<String> modules = List.of(vendorModule.split(","));
        if (modules.contains("kvm_intel")) return "kvm_intel";
        if (modules.contains("kvm_amd")) return "kvm_amd";
        return "other";
    }

    static String kvmParameters(HostFiles files, String vendorModule) {
        List<String> modules = new ArrayList<>(List.of("kvm"));
        if (!vendorModule.equals("none")) modules.addAll(List.of(vendorModule.split(",")));
        List<String> found = new ArrayList<>();
        for (String m : modules) {
            for (String p : SCHEDULING_PARAMETERS.getOrDefault(m, List.of())) {
                files.read("/sys/module/" + m + "/parameters/" + p).ifPresent(v -> found.add(m + "." + p + "=" + v.strip()));
            }
        }
        return found.isEmpty() ? "none exposed" : String.join(" ", found);
    }

    /** The key/value lines of one processor's block in /proc/cpuinfo (the first block when {@code cpu} has none). */
    static Map<String, String> cpuinfoOf(String cpuinfo, int cpu) {
        Map<String, String> first = null;
        for (String block : cpuinfo.split("\n\\s*\n")) {
            Map<String, String> kv = new LinkedHashMap<>();
            for (String l : block.split("\n")) {
                int colon = l.indexOf(':');
                if (colon > 0) kv.putIfAbsent(l.substring(0, colon).strip(), l.substring(colon + 1).strip());
            }
            if (kv.isEmpty()) continue;
            if (first == null) first = kv;
            if (Integer.toString(cpu).equals(kv.get("processor"))) return kv;
        }
        return first == null ? Map.of() : first;
    }

    static String frequencyRange(HostFiles files, int cpu) {
        String dir = CPU + "cpu" + cpu + "/cpufreq/";
        Optional<Long> min = kiloHertz(files, dir + "scaling_min_freq");
        Optional<Long> max = kiloHertz(files, dir + "scaling_max_freq");
        if (min.isEmpty() || max.isEmpty()) return NOT_EXPOSED;
        Optional<Long> hwMin = kiloHertz(files, dir + "cpuinfo_min_freq");
        Optional<Long> hwMax = kiloHertz(files, dir + "cpuinfo_max_freq");
        String range = mhz(min.get()) + "–" + mhz(max.get()) + " MHz";
        return hwMin.isPresent() && hwMax.isPresent() ? range + " (hardware " + mhz(hwMin.get()) + "–" + mhz(hwMax.get()) + ")" : range;
    }

    static Optional<Long> kiloHertz(HostFiles files, String path) {
        try {
            return files.read(path).map(s -> Long.parseLong(s.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String mhz(long khz) {
        return Long.toString(khz / 1000);
    }

    /** A CPU list file: "none" when empty (or the kernel's "(null)"), {@value #NOT_EXPOSED} when absent. */
    static String cpuList(HostFiles files, String path) {
        return files.read(path).map(String::strip).map(s -> s.isEmpty() || s.equals("(null)") ? "none" : s).orElse(NOT_EXPOSED);
    }

    /** The bracketed choice of a sysfs selection ("always [madvise] never" → "madvise"). */
    static String selected(String choices) {
        int open = choices.indexOf('['), close = choices.indexOf(']');
        return open >= 0 && close > open ? choices.substring(open + 1, close) : choices;
    }

    private static String line(HostFiles files, String path) {
        return files.read(path).map(String::strip).filter(s -> !s.isEmpty()).orElse(NOT_EXPOSED);
    }

    /** The facts as label → value, in the order `jkvm check --runner` and the tests show them. */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("kernel", kernelRelease);
        m.put("kernel command line", kernelCommandLine);
        m.put("CPU", cpuVendor + " " + cpuModel);
        m.put("microcode", microcode);
        m.put("KVM vendor module", vendorModule);
        m.put("KVM parameters", kvmParameters);
        m.put("SMT", smt);
        m.put("governor (CPU " + cpu + ")", governor);
        m.put("frequency range (CPU " + cpu + ")", frequencyRange);
        m.put("isolated CPUs", isolatedCpus);
        m.put("nohz_full CPUs", nohzFull);
        m.put("transparent huge pages", transparentHugepages);
        m.put("jkvm", jkvmVersion);
        m.put("JDK", jdkVersion);
        return m;
    }
}
