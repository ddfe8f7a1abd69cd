package dev.jkvm.bench;

import dev.jkvm.bindings.ErrnoCapture;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.bindings.generated.kvm_run;
import dev.jkvm.devices.PingPort;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.kvm.CpuSetup;
import dev.jkvm.kvm.GuestMemory;
import dev.jkvm.kvm.Kvm;
import dev.jkvm.kvm.Vcpu;
import dev.jkvm.kvm.Vm;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * VM create → first exit: N io-ping VMs created one after another, each set up the way jkvm sets up
 * an unrecorded experiment's VM (memory, image, vCPU, the host's CPUID, long mode; a recorded run
 * also opens KVM's two statistics fds per VM, which the C reference does not do) and run to its
 * first exit (its first ping), all kept open until the last one's exit; the same by the C
 * reference, rounds alternating. The first Java round of a fresh JVM is reported apart (cold). Also
 * what the N open VMs added to each process's RSS and (Java) to the heap: memory per VM.
 */
public final class StartBenchmark {

    /** One run of N VMs: total and first-VM time, RSS growth, and (Java only) heap growth after GC. */
    public record Run(double nanosPerVm, long firstVmNanos, long rssGrowth, long heapGrowth) {}

    public record Result(int vms, Run coldJava, List<Run> java, List<Run> c) {
        public double medianJavaPerVm() {
            return Stats.median(java.stream().mapToDouble(Run::nanosPerVm).toArray());
        }

        public double medianCPerVm() {
            return Stats.median(c.stream().mapToDouble(Run::nanosPerVm).toArray());
        }

        public double javaRssPerVm() {
            return Stats.median(java.stream().mapToDouble(r -> (double) r.rssGrowth() / vms).toArray());
        }

        public double cRssPerVm() {
            return Stats.median(c.stream().mapToDouble(r -> (double) r.rssGrowth() / vms).toArray());
        }

        public double javaHeapPerVm() {
            return Stats.median(java.stream().mapToDouble(r -> (double) r.heapGrowth() / vms).toArray());
        }

        public String summary() {
            return String.format(Locale.ROOT, "start: %d VMs, create → first exit per VM: median Java %.3f ms, C %.3f ms, Java/C %.2f; "
                            + "cold JVM: first VM %.1f ms; memory per VM: RSS Java %.0f KiB, C %.0f KiB, Java heap %.1f KiB",
                    vms, medianJavaPerVm() / 1e6, medianCPerVm() / 1e6, medianJavaPerVm() / medianCPerVm(),
                    coldJava.firstVmNanos() / 1e6, javaRssPerVm() / 1024, cRssPerVm() / 1024, javaHeapPerVm() / 1024);
        }

        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("vms", vms);
            m.put("medianJavaNanosPerVm", medianJavaPerVm());
            m.put("medianCNanosPerVm", medianCPerVm());
            m.put("ratio", medianJavaPerVm() / medianCPerVm());
            m.put("coldJavaFirstVmNanos", coldJava.firstVmNanos());
            m.put("coldJavaNanosPerVm", coldJava.nanosPerVm());
            m.put("javaRssBytesPerVm", javaRssPerVm());
            m.put("cRssBytesPerVm", cRssPerVm());
            m.put("javaHeapBytesPerVm", javaHeapPerVm());
            m.put("java", java.stream().map(StartBenchmark::json).toList());
            m.put("c", c.stream().map(StartBenchmark::json).toList());
            return m;
        }
    }

    private static Map<String, Object> json(Run r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nanosPerVm", r.nanosPerVm());
        m.put("firstVmNanos", r.firstVmNanos());
        m.put("rssGrowth", r.rssGrowth());
        m.put("heapGrowth", r.heapGrowth());
        return m;
    }

    private StartBenchmark() {}

    public static Result run(int vms, int rounds, CReference c, PrintWriter progress) throws IOException, InterruptedException {
        if (vms < 1) throw new UsageException("--start needs at least 1 VM");
        if (rounds < 1) throw new UsageException("--rounds must be at least 1");
        Run cold = javaRun(c.ioPing(), vms);
        progress.printf(Locale.ROOT, "bench: start: cold JVM: %d VMs, first VM %.1f ms, %.3f ms per VM%n", vms,
                cold.firstVmNanos() / 1e6, cold.nanosPerVm() / 1e6);
        progress.flush();
        List<Run> java = new ArrayList<>();
        List<Run> cee = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                java.add(javaRun(c.ioPing(), vms));
                cee.add(cRun(c, vms));
            } else {
                cee.add(cRun(c, vms));
                java.add(javaRun(c.ioPing(), vms));
            }
            progress.printf(Locale.ROOT, "bench: start: round %d: Java %.3f ms per VM, C %.3f ms per VM%n", r + 1,
                    java.getLast().nanosPerVm() / 1e6, cee.getLast().nanosPerVm() / 1e6);
            progress.flush();
        }
        return new Result(vms, cold, java, cee);
    }

    private static Run cRun(CReference c, int vms) throws IOException, InterruptedException {
        Map<String, Long> r = c.run("--start", "IMAGE", Integer.toString(vms));
        return new Run((double) r.get("ns") / vms, r.get("first_ns"), r.get("rss_growth"), 0);
    }

    /** What one experiment VM owns before its thread starts, plus the one KVM_RUN to its first exit. */
    private record Guest(Vm vm, Vcpu vcpu) implements AutoCloseable {
        @Override
        public void close() {
            vm.close();
        }
    }

    private static Run javaRun(GuestImage ioPing, int vms) {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long heap0 = rt.totalMemory() - rt.freeMemory();
        long rss0 = ProcessUsage.statusBytes("VmRSS");
        List<Guest> guests = new ArrayList<>();
        try (Kvm kvm = Kvm.open(); Arena arena = Arena.ofConfined()) {
            ErrnoCapture capture = new ErrnoCapture(arena);
            long t0 = System.nanoTime();
            MemorySegment cpuid = kvm.supportedCpuid(arena);
            long first = 0;
            for (int i = 0; i < vms; i++) {
                guests.add(create(kvm, cpuid, ioPing));
                Vcpu vcpu = guests.getLast().vcpu();
                int rc;
                do rc = vcpu.run(capture); while (rc == -LinuxHeaders.EINTR() || rc == -LinuxHeaders.EAGAIN());
                MemorySegment run = vcpu.runArea();
                int port = Short.toUnsignedInt(run.get(ValueLayout.JAVA_SHORT, kvm_run.io$offset() + kvm_run.io.port$offset()));
                if (rc != 0 || kvm_run.exit_reason(run) != LinuxHeaders.KVM_EXIT_IO() || port != PingPort.PORT) {
                    throw new IllegalStateException("VM " + i + ": first KVM_RUN returned " + rc + ", exit reason "
                            + kvm_run.exit_reason(run) + ", port 0x" + Integer.toHexString(port) + "; expected a ping");
                }
                if (i == 0) first = System.nanoTime() - t0;
            }
            long total = System.nanoTime() - t0;
            System.gc(); // both RSS readings after a collection, so a heap that grew or shrank meanwhile counts least
            long rss = ProcessUsage.statusBytes("VmRSS") - rss0;
            long heap = rt.totalMemory() - rt.freeMemory() - heap0;
            return new Run((double) total / vms, first, rss, heap);
        } finally {
            for (Guest g : guests) g.close();
        }
    }

    private static Guest create(Kvm kvm, MemorySegment cpuid, GuestImage image) {
        Vm vm = kvm.createVm();
        try {
            GuestMemory memory = vm.mapMemory(image.manifest().memory());
            for (GuestImage.Segment s : image.segments()) memory.write(s.address(), s.bytes());
            Vcpu vcpu = vm.createVcpu(0);
            vcpu.setCpuid(cpuid);
            CpuSetup.apply(vcpu, memory, image.manifest().mode(), image.entry(), 1, vcpu.tscKhz());
            return new Guest(vm, vcpu);
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
    }
}
