package dev.jkvm.sched;

import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.perf_event_attr;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The privileged kernel ground truth on the experiment CPU: kprobes on kvm_sched_in, kvm_sched_out,
 * kvm_arch_vcpu_load and the vendor load (whichever of vmx_vcpu_load_vmcs, vmx_vcpu_load,
 * svm_vcpu_load the running kernel has), through the perf kprobe PMU, plus the sched:sched_switch
 * tracepoint. Everything is opened per CPU with CLOCK_MONOTONIC, like the switch records. When any
 * of it is not permitted, one notice line says what and why, and the run goes on without it.
 */
public final class KernelProbes {
    static final Path KPROBE_TYPE = Path.of("/sys/bus/event_source/devices/kprobe/type");
    static final Path TRACEFS = Path.of("/sys/kernel/tracing");
    private static final Path KALLSYMS = Path.of("/proc/kallsyms");
    private static final int RING_PAGES = 256;
    private static final List<String> VENDOR_LOADS = List.of("vmx_vcpu_load_vmcs", "vmx_vcpu_load", "svm_vcpu_load");

    private KernelProbes() {}

    /** Opens what it can on {@code cpu} and adds it to {@code recorder}; returns the probes opened. */
    public static List<ProbeSource> open(int cpu, SchedRecorder recorder, PrintWriter notices) {
        List<ProbeSource> opened = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try {
            int kprobeType = Integer.parseInt(Files.readString(KPROBE_TYPE).strip());
            Set<String> symbols = kernelSymbols(Stream.concat(Stream.of("kvm_sched_in", "kvm_sched_out", "kvm_arch_vcpu_load"), VENDOR_LOADS.stream()).collect(Collectors.toSet()));
            addKprobe(opened, problems, kprobeType, cpu, "kvm_sched_in", ProbeSource.Kind.KVM_SCHED_IN, symbols);
            addKprobe(opened, problems, kprobeType, cpu, "kvm_sched_out", ProbeSource.Kind.KVM_SCHED_OUT, symbols);
            addKprobe(opened, problems, kprobeType, cpu, "kvm_arch_vcpu_load", ProbeSource.Kind.ARCH_VCPU_LOAD, symbols);
            String vendor = VENDOR_LOADS.stream().filter(symbols::contains).findFirst().orElse(null);
            if (vendor == null) {
                problems.add("no vendor vCPU load function (" + String.join(", ", VENDOR_LOADS) + ") in this kernel");
            } else {
                addKprobe(opened, problems, kprobeType, cpu, vendor, ProbeSource.Kind.VENDOR_VCPU_LOAD, symbols);
            }
        } catch (IOException | NumberFormatException e) {
            problems.add("no kprobe PMU (" + KPROBE_TYPE + " unreadable: kernel without CONFIG_KPROBE_EVENTS?)");
        }
        // Every VM entry on the CPU: the reload latency (sched-in → first entry) comes from it.
        addTracepoint(opened, problems, cpu, "kvm", "kvm_entry", ProbeSource.Kind.KVM_ENTRY, false, "");
        // KVM loads the guest FPU right after vcpu_load at the start of every KVM_RUN and puts it back at its
        // end: the kernel's own view of when a thread is inside KVM_RUN, used instead of jkvm's timestamps
        // around the ioctl (a thread preempted between its timestamp and the ioctl would look inside).
        addTracepoint(opened, problems, cpu, "kvm", "kvm_fpu", ProbeSource.Kind.KVM_FPU, true, "; KVM_RUN is then timed from user space");
        addTracepoint(opened, problems, cpu, "sched", "sched_switch", ProbeSource.Kind.SCHED_SWITCH, true,
                "; is tracefs mounted at " + TRACEFS + "?");
        for (ProbeSource p : opened) recorder.addProbe(p);
        if (!problems.isEmpty()) {
            notices.println("jkvm: kernel ground truth " + (opened.isEmpty() ? "not recorded" : "partly recorded") + ": "
                    + String.join("; ", problems) + (PerfPermissions.isRoot() ? "" : " (kprobes and CPU-wide tracepoints need root or CAP_PERFMON)"));
            notices.flush();
        }
        return opened;
    }

    /** Opens tracepoint {@code group:name} on {@code cpu}, with its raw data (and format) when {@code raw}. */
    private static void addTracepoint(List<ProbeSource> opened, List<String> problems, int cpu, String group, String name,
                                      ProbeSource.Kind kind, boolean raw, String hint) {
        String what = group + ":" + name;
        try {
            Path dir = tracefs().resolve("events").resolve(group).resolve(name);
            int id = Integer.parseInt(Files.readString(dir.resolve("id")).strip());
            TracepointFormat format = raw ? TracepointFormat.parse(Files.readString(dir.resolve("format"))) : null;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = PerfAttributes.everyHit(arena, LinuxHeaders.PERF_TYPE_TRACEPOINT(), id, raw);
                PerfEvent ev = PerfEvent.open(attr, -1, cpu, RING_PAGES, what + " on CPU " + cpu);
                opened.add(new ProbeSource(kind, what, ev, format));
            }
        } catch (IOException | NumberFormatException e) {
            problems.add(what + " unavailable (" + e.getMessage() + hint + ")");
        } catch (RuntimeException e) {
            problems.add(what + ": " + e.getMessage());
        }
    }

    private static void addKprobe(List<ProbeSource> opened, List<String> problems, int type, int cpu, String function,
                                  ProbeSource.Kind kind, Set<String> symbols) {
        if (!symbols.isEmpty() && !symbols.contains(function)) {
            problems.add(function + " is not a symbol of this kernel");
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = PerfAttributes.everyHit(arena, type, 0, false);
            // The kprobe PMU takes the function's name as a pointer in config1 (kprobe_func).
            perf_event_attr.kprobe_func(attr, arena.allocateFrom(function).address());
            perf_event_attr.probe_offset(attr, 0);
            PerfEvent ev = PerfEvent.open(attr, -1, cpu, RING_PAGES, "kprobe " + function + " on CPU " + cpu);
            opened.add(new ProbeSource(kind, function, ev, null));
        } catch (RuntimeException e) {
            problems.add("kprobe " + function + ": " + e.getMessage());
        }
    }

    /** Which of {@code wanted} /proc/kallsyms lists (empty if it cannot be read, then every probe is tried). */
    static Set<String> kernelSymbols(Set<String> wanted) {
        try (Stream<String> lines = Files.lines(KALLSYMS)) {
            return lines.map(l -> l.split("\\s+"))
                    .filter(f -> f.length >= 3 && wanted.contains(f[2]))
                    .map(f -> f[2])
                    .collect(Collectors.toSet());
        } catch (IOException | java.io.UncheckedIOException e) {
            return Set.of();
        }
    }

    static Path tracefs() {
        if (Files.isDirectory(TRACEFS.resolve("events"))) return TRACEFS;
        Path debug = Path.of("/sys/kernel/debug/tracing");
        return Files.isDirectory(debug.resolve("events")) ? debug : TRACEFS;
    }
}
