package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.analysis.RecordingAnalysis;
import dev.jkvm.analysis.RunSummary;
import dev.jkvm.exits.GuestResult;
import dev.jkvm.experiment.Experiment;
import dev.jkvm.experiment.ExperimentReport;
import dev.jkvm.experiment.ExperimentSpec;
import dev.jkvm.experiment.VcpuReport;
import dev.jkvm.experiment.VmReport;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmc.common.item.IAttribute;
import org.openjdk.jmc.common.item.IItem;
import org.openjdk.jmc.common.item.IItemCollection;
import org.openjdk.jmc.common.item.IItemIterable;
import org.openjdk.jmc.common.item.IMemberAccessor;
import org.openjdk.jmc.common.item.ItemFilters;
import org.openjdk.jmc.common.unit.IQuantity;
import org.openjdk.jmc.common.unit.UnitLookup;
import org.openjdk.jmc.flightrecorder.JfrLoaderToolkit;

/**
 * SMP VMs on real KVM: every vCPU its own pinned, recorded thread (checked against the kernel's
 * sched:sched_switch), application processors started with INIT/SIPI (checked against KVM's
 * kvm_apic_accept_irq tracepoint), and the lock guest's hold and wait times as JMC reads them.
 * Needs root (tracefs).
 */
@Tag("kvm")
@Tag("privileged")
class SmpVmsKvmTest {

    private static ExperimentReport run(String guest, int vcpus, Duration d, OptionalInt cpu, Path jfr, StringWriter out) throws Exception {
        GuestImage image = GuestCatalog.resolve(guest);
        ExperimentSpec.VmSpec vm = new ExperimentSpec.VmSpec(image, image.manifest().memory(), image.manifest().arg().orElse(0), null, vcpus);
        return new Experiment(new ExperimentSpec(List.of(vm), d, cpu, jfr, "jkvm-sched", false), new PrintWriter(out, true)).run();
    }

    @Test
    void bothVcpusOfATwoVcpuSpinVmRunOnTheCpuAndEachIsRecordedAsTheKernelSwitchedIt(@TempDir Path dir) throws Exception {
        int cpu = SchedRecordingKvmTest.experimentCpu();
        Path jfr = dir.resolve("smp.jfr");
        StringWriter out = new StringWriter();
        ExperimentReport report;
        List<TraceFsCapture.Switch> kernel;
        try (TraceFsCapture trace = TraceFsCapture.start(cpu)) {
            report = run("spin", 2, Duration.ofSeconds(2), OptionalInt.of(cpu), jfr, out);
            kernel = trace.stop();
        }
        VmReport vm = report.vm(0);
        assertEquals(2, vm.vcpus().size(), out.toString());
        assertNotEquals(vm.vcpus().get(0).tid(), vm.vcpus().get(1).tid());
        List<RecordedEvent> ins = Recordings.events(jfr, "jkvm.VcpuSchedIn");
        List<RecordedEvent> outs = Recordings.events(jfr, "jkvm.VcpuSchedOut");
        for (VcpuReport v : vm.vcpus()) {
            assertEquals("vm0/cpu" + v.index(), v.name());
            assertEquals("vcpu-vm0-" + v.index(), v.threadName());
            assertInstanceOf(GuestResult.Stopped.class, v.result());
            int tid = v.tid();
            long kernelIns = kernel.stream().filter(s -> s.nextPid() == tid).count();
            long kernelOuts = kernel.stream().filter(s -> s.prevPid() == tid).count();
            List<RecordedEvent> myIns = ins.stream().filter(e -> e.getInt("tid") == tid && e.getInt("cpu") == cpu).toList();
            List<RecordedEvent> myOuts = outs.stream().filter(e -> e.getInt("tid") == tid && e.getInt("cpu") == cpu).toList();
            System.out.printf("[smp] %s (TID %d): %d sched-ins / %d sched-outs recorded on CPU %d, sched_switch: %d / %d%n",
                    v.name(), tid, myIns.size(), myOuts.size(), cpu, kernelIns, kernelOuts);
            assertTrue(kernelIns > 2, v.name() + " was switched in only " + kernelIns + " times by the kernel: it did not run");
            assertEquals(kernelIns, myIns.size(), v.name() + ": sched-ins, jkvm vs sched_switch");
            assertEquals(kernelOuts, myOuts.size(), v.name() + ": sched-outs, jkvm vs sched_switch");
            for (RecordedEvent e : myIns) {
                assertEquals("vm0", e.getString("vm"));
                assertEquals(v.index(), e.getInt("vcpu"), "the event's vCPU index");
            }
        }
        RunSummary summary = RecordingAnalysis.analyze(jfr);
        Map<String, RunSummary.VcpuSummary> rows = summary.vcpus().stream()
                .collect(Collectors.toMap(RunSummary.VcpuSummary::name, Function.identity()));
        assertEquals(java.util.Set.of("vm0/cpu0", "vm0/cpu1"), rows.keySet());
        double vmShare = summary.vmShares().get(0).share();
        assertEquals(rows.get("vm0/cpu0").share() + rows.get("vm0/cpu1").share(), vmShare, 1e-9);
        assertTrue(rows.get("vm0/cpu0").share() > 0.05 && rows.get("vm0/cpu1").share() > 0.05, "both vCPUs got the CPU: " + rows);
    }

    @Test
    void applicationProcessorsStartedWithInitSipiReachTheirEntry() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        StringWriter out = new StringWriter();
        ExperimentReport report;
        List<String> accepted = List.of();
        if (root) {
            try (KvmTracepoints kvm = KvmTracepoints.start("kvm_apic_accept_irq")) {
                report = run("ap-count", 4, Duration.ofSeconds(20), OptionalInt.empty(), null, out);
                kvm.stop();
                accepted = kvm.of("kvm_apic_accept_irq");
            }
        } else {
            report = run("ap-count", 4, Duration.ofSeconds(20), OptionalInt.empty(), null, out);
        }
        VmReport vm = report.vm(0);
        assertEquals("ap-count: 3 of 3 application processors started\n", vm.serialOutput(), out.toString());
        assertEquals(new GuestResult.Exited(1), vm.result());
        for (VcpuReport ap : vm.vcpus().subList(1, 4)) {
            assertEquals(new GuestResult.Stopped("vm0/cpu0 ended the VM: exited with status 1"), ap.result(), ap.name());
            assertEquals(0, ap.exits().total(), ap.name() + ": an AP's INIT, SIPI and HLT stay inside KVM");
        }
        if (root) {
            // KVM's own record of the IPIs the BSP sent: each AP (APIC IDs 1-3) accepted an INIT and a start-up IPI with vector 8.
            for (int apic = 1; apic <= 3; apic++) {
                String id = "apicid " + apic + " ";
                assertTrue(accepted.stream().anyMatch(l -> l.contains(id) && l.contains("(INIT|")), "no INIT to APIC " + apic + ": " + accepted);
                assertTrue(accepted.stream().anyMatch(l -> l.contains(id + "vec 8 (SIPI|")), "no SIPI to APIC " + apic + ": " + accepted);
            }
            System.out.printf("[smp] ap-count: %d kvm_apic_accept_irq lines, INIT and SIPI (vector 8) for APIC IDs 1-3%n", accepted.size());
        }
    }

    @Test
    void twoVcpusContendingOneLockOnOneCpuWaitFarLongerThanTheyHoldIt(@TempDir Path dir) throws Exception {
        int cpu = SchedRecordingKvmTest.experimentCpu();
        Path jfr = dir.resolve("lock.jfr");
        StringWriter out = new StringWriter();
        ExperimentReport report;
        List<String> ple;
        List<String> missing;
        try (KvmTracepoints kvm = KvmTracepoints.start("kvm_ple_window_update")) {
            report = run("lock", 2, Duration.ofSeconds(4), OptionalInt.of(cpu), jfr, out);
            kvm.stop();
            ple = kvm.of("kvm_ple_window_update");
            missing = kvm.missing();
        }
        VmReport vm = report.vm(0);
        String printed = out.toString();
        String line = printed.lines().filter(l -> l.startsWith("jkvm: vm0 lock: ")).findFirst().orElseThrow(() -> new AssertionError(printed));
        System.out.println("[smp] " + line);

        IItemCollection items = JfrLoaderToolkit.loadEvents(jfr.toFile());
        long acquisitions = 0, contended = 0;
        for (IItemIterable it : items.apply(ItemFilters.type("jkvm.LockStats"))) {
            for (IItem i : it) {
                long acq = number(it, i, "acquisitions"), cont = number(it, i, "contended");
                long holdP99 = nanos(it, i, "holdP99"), waitP99 = nanos(it, i, "waitP99"), holdP50 = nanos(it, i, "holdP50");
                System.out.printf("[smp] lock vCPU %d: %d acquisitions, %d contended, hold p50 %d ns p99 %d ns, wait p99 %d ns%n",
                        number(it, i, "vcpu"), acq, cont, holdP50, holdP99, waitP99);
                assertTrue(acq > 0, "a vCPU never got the lock");
                if (cont > 0) {
                    assertTrue(waitP99 > 20 * holdP99, "wait p99 " + waitP99 + " ns is not ≫ hold p99 " + holdP99 + " ns");
                }
                acquisitions += acq;
                contended += cont;
            }
        }
        assertTrue(contended > 0, "the two vCPUs never contended on one CPU: " + line);
        // The lock is exclusive: the counter it protects went up once per acquisition (arg = 1), plus one when
        // the stop caught the holder between its increment and its count (only one vCPU can be there).
        long extra = vm.progressCounter() - acquisitions;
        assertTrue(extra == 0 || extra == 1, "shared counter " + vm.progressCounter() + " vs " + acquisitions + " acquisitions");
        long waits = 0;
        for (IItemIterable it : items.apply(ItemFilters.type("jkvm.LockWait"))) waits += it.getItemCount();
        assertEquals(contended, waits, "one jkvm.LockWait event per contended acquisition (none overwritten at this rate)");
        waitsLieOnTheirVcpusLaneWhileItRan(jfr);

        // What this host shows of pause-loop exiting and directed yields.
        long yields = 0;
        for (RecordedEvent e : Recordings.events(jfr, "jkvm.KvmStats")) {
            if (e.getString("name").startsWith("directed_yield")) yields += e.getLong("delta");
        }
        System.out.printf("[smp] lock: exits to jkvm %d; directed_yield_* KVM stats changed by %d; kvm_ple_window_update %s%n",
                vm.exits().total(), yields, missing.isEmpty() ? ple.size() + " lines" : "not in tracefs");
    }

    /**
     * Each contended acquisition's event lies on its vCPU's thread and ends at the acquisition's host
     * time, mapped from the guest TSC; a vCPU acquires only while on the CPU, so that time must fall
     * within 50 µs of one of that vCPU's slices as jkvm's switch records give them, for 95 % at least.
     * (Committed as they were read, the events sat at the sampler's polls, on its thread.)
     */
    private static void waitsLieOnTheirVcpusLaneWhileItRan(Path jfr) throws Exception {
        List<RecordedEvent> switches = new ArrayList<>(Recordings.events(jfr, "jkvm.VcpuSchedIn"));
        switches.addAll(Recordings.events(jfr, "jkvm.VcpuSchedOut"));
        switches.sort(java.util.Comparator.comparingLong(e -> e.getLong("monotonicNanos")));
        Map<Integer, List<long[]>> slices = new java.util.HashMap<>();
        Map<Integer, Long> threads = new java.util.HashMap<>(), in = new java.util.HashMap<>();
        for (RecordedEvent e : switches) {
            if (!e.getString("vm").equals("vm0")) continue;
            int v = e.getInt("vcpu");
            threads.put(v, e.getThread().getJavaThreadId());
            if (e.getEventType().getName().equals("jkvm.VcpuSchedIn")) in.put(v, e.getLong("monotonicNanos"));
            else if (in.containsKey(v)) slices.computeIfAbsent(v, k -> new ArrayList<>()).add(new long[] {in.remove(v), e.getLong("monotonicNanos")});
        }
        List<RecordedEvent> waits = Recordings.events(jfr, "jkvm.LockWait");
        int near = 0;
        List<String> far = new ArrayList<>();
        long worst = 0;
        for (RecordedEvent w : waits) {
            int v = w.getInt("vcpu");
            long at = w.getLong("monotonicNanos");
            assertTrue(at > 0, "a wait without a host time: " + w);
            assertEquals(threads.get(v), w.getThread().getJavaThreadId(), "a wait of vCPU " + v + " not on its thread");
            assertEquals(Math.max(0, w.getLong("waitTime")), w.getDuration().toNanos(), "a wait's extent");
            long off = Long.MAX_VALUE;
            for (long[] s : slices.getOrDefault(v, List.of())) off = Math.min(off, at < s[0] ? s[0] - at : at > s[1] ? at - s[1] : 0);
            if (off != Long.MAX_VALUE) worst = Math.max(worst, off);
            if (off <= 50_000) near++;
            else far.add("vCPU " + v + " at " + at + ": " + (off == Long.MAX_VALUE ? "no slice" : off / 1000 + " µs from a slice"));
        }
        System.out.printf("[smp] lock: %d of %d acquisitions within 50 µs of one of their vCPU's slices (the farthest %.1f µs)%n",
                near, waits.size(), worst / 1e3);
        assertTrue(near >= 0.95 * waits.size(), near + " of " + waits.size() + " acquisitions near their vCPU's slices; the others: "
                + String.join(", ", far.subList(0, Math.min(far.size(), 20))));
    }

    private static long number(IItemIterable it, IItem item, String field) {
        Object v = member(it, item, field);
        return v instanceof IQuantity q ? q.longValue() : ((Number) v).longValue();
    }

    private static long nanos(IItemIterable it, IItem item, String field) {
        IQuantity q = (IQuantity) member(it, item, field);
        assertEquals(UnitLookup.TIMESPAN, q.getUnit().getContentType(), field + " is not a timespan in JMC");
        return q.clampedLongValueIn(UnitLookup.NANOSECOND);
    }

    @SuppressWarnings("unchecked")
    private static Object member(IItemIterable it, IItem item, String field) {
        for (var k : it.getType().getAccessorKeys().keySet()) {
            if (k.getIdentifier().equals(field)) {
                IMemberAccessor<Object, IItem> a = (IMemberAccessor<Object, IItem>) it.getType().getAccessor(k);
                return a.getMember(item);
            }
        }
        throw new AssertionError("JMC shows no field " + field + " in " + it.getType().getIdentifier());
    }
}
