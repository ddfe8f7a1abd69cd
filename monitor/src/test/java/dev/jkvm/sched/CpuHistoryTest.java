package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CpuHistoryTest {
    final Map<Integer, VcpuId> vcpus = Map.of(100, new VcpuId("vm0", 0, 100), 101, new VcpuId("vm1", 0, 101));
    final CpuHistory h = new CpuHistory();

    @Test
    void theTracepointGivesTheSwitchTimeAndWhatRanBefore() {
        h.tracepoint(1, new CpuHistory.Switch(1_000, 100, "vcpu-vm0-0", 101));
        assertEquals(1_000, h.switchOutTime(1, 100, 1_004), "vm0's sched-out, perf record 4 ns later");
        assertEquals(1_000, h.switchInTime(1, 101, 1_009), "vm1's sched-in, perf record 9 ns later");
        assertEquals(-1, h.switchInTime(1, 100, 1_009), "not the task switched in");
        assertEquals(-1, h.switchInTime(2, 101, 1_009), "another CPU");
        assertEquals("vm0/vcpu0", h.ranBefore(1, 101, 1_009, vcpus::get));
    }

    @Test
    void idleAndForeignTasksAreNamed() {
        h.tracepoint(1, new CpuHistory.Switch(1_000, 0, "swapper/1", 100));
        assertEquals("idle", h.ranBefore(1, 100, 1_010, vcpus::get));
        h.tracepoint(1, new CpuHistory.Switch(2_000, 555, "kworker/1:2", 101));
        assertEquals("foreign: kworker/1:2 (TID 555)", h.ranBefore(1, 101, 2_010, vcpus::get));
    }

    @Test
    void aTracepointTooFarBeforeThePerfRecordIsAnotherSwitch() {
        h.tracepoint(1, new CpuHistory.Switch(1_000, 100, "vcpu-vm0-0", 101));
        assertEquals(-1, h.switchInTime(1, 101, 1_000 + CpuHistory.SAME_SWITCH_NANOS + 1));
    }

    @Test
    void withoutTheTracepointAHandoverIsInferredFromTheSwitchRecords() {
        h.vcpuOut(1, 100, 5_000);
        assertEquals("vm0/vcpu0 (inferred from switch records)", h.ranBefore(1, 101, 5_020, vcpus::get));
        assertEquals("idle or a foreign task", h.ranBefore(1, 101, 5_000 + CpuHistory.HANDOVER_NANOS + 1, vcpus::get));
        assertEquals(-1, h.switchInTime(1, 101, 5_020));
    }
}
