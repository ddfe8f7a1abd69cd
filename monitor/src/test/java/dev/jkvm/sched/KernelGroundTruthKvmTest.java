package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.experiment.VmReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * As root with kprobes (the sandbox, or a host with CONFIG_KPROBE_EVENTS): the preempt notifier
 * kvm_sched_in fires exactly when jkvm records a sched-in of a vCPU thread inside KVM_RUN.
 */
@Tag("kvm")
@Tag("privileged")
@Tag("kprobes")
class KernelGroundTruthKvmTest {

    @Test
    void everySchedInInsideKvmRunIsAKvmSchedInAndAVcpuLoad(@TempDir Path dir) throws Exception {
        SchedRecordingKvmTest.Run run = SchedRecordingKvmTest.runSpins(2, Duration.ofSeconds(3), Map.of(), dir);
        assertFalse(run.out().contains("kernel ground truth not recorded"), run.out());
        List<RecordedEvent> ins = Recordings.events(run.jfr(), "jkvm.VcpuSchedIn");
        List<RecordedEvent> kvmIns = Recordings.events(run.jfr(), "jkvm.KvmSchedIn");
        List<RecordedEvent> loads = Recordings.events(run.jfr(), "jkvm.VcpuLoad");
        for (VmReport vm : run.report().vms()) {
            int tid = vm.tid();
            List<RecordedEvent> mineInKvm = ins.stream().filter(e -> e.getInt("tid") == tid && e.getBoolean("inKvmRun")).toList();
            List<RecordedEvent> probes = kvmIns.stream().filter(e -> e.getInt("tid") == tid).toList();
            long outside = ins.stream().filter(e -> e.getInt("tid") == tid && !e.getBoolean("inKvmRun")).count();
            System.out.printf("%s: %d sched-ins inside KVM_RUN, %d kvm_sched_in hits, %d sched-ins outside KVM_RUN (start and exit)%n",
                    vm.name(), mineInKvm.size(), probes.size(), outside);
            assertTrue(probes.size() > 10, vm.name() + ": only " + probes.size() + " kvm_sched_in hits");
            assertEquals(probes.size(), mineInKvm.size(), vm.name() + ": kvm_sched_in count differs from jkvm's sched-ins inside KVM_RUN");
            for (RecordedEvent p : probes) assertEquals(vm.name(), p.getString("vm"), "kprobe hit not attributed to its VM");
            // Every kvm_sched_in is followed by the arch and vendor vCPU loads of the same thread.
            long vendorLoads = loads.stream().filter(e -> e.getInt("tid") == tid && !e.getString("function").equals("kvm_arch_vcpu_load")).count();
            assertTrue(vendorLoads >= probes.size(), vm.name() + ": " + vendorLoads + " vendor loads for " + probes.size() + " sched-ins");
        }
        List<RecordedEvent> switches = Recordings.events(run.jfr(), "jkvm.VcpuSwitch");
        long firstRuns = switches.stream().filter(e -> e.getString("switchClass").equals("first run")).count();
        assertEquals(2, firstRuns, "each vCPU has exactly one first run on the experiment CPU");
    }
}
