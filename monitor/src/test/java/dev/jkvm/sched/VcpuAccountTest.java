package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class VcpuAccountTest {
    @Test
    void onAndOffCpuTimesAddUpAndALossBreaksThePairing() {
        VcpuAccount a = new VcpuAccount(new VcpuId("vm0", 0, 1), new KvmRunTrace(), true);
        a.schedIn(100, 1, true, SwitchClassifier.SwitchClass.FIRST_LOAD);
        VcpuAccount.Slice s = a.schedOut(400, 1, true);
        assertEquals(100, s.start());
        VcpuAccount.Wait w = a.schedIn(1_000, 1, false, SwitchClassifier.SwitchClass.OUTSIDE_KVM_RUN);
        assertEquals(400, w.start());
        assertEquals(true, w.preempted());
        a.schedOut(1_100, 1, false);
        a.gap();
        // After the gap: this sched-in does not pair with the sched-out before it.
        VcpuAccount.Wait afterGap = a.schedIn(5_000, 1, true, SwitchClassifier.SwitchClass.UNKNOWN);
        assertEquals(-1, afterGap.start());
        a.schedOut(5_500, 1, true);
        assertEquals(300 + 100 + 500, a.onCpu);
        assertEquals(300 + 500, a.onCpuInKvmRun);
        assertEquals(600, a.offCpu);
        assertEquals(3, a.ins);
        assertEquals(3, a.outs);
        assertEquals(2, a.preempted);
        assertEquals(1, a.gaps);
        assertArrayEquals(new long[] {400, 1_000}, a.offCpuIntervals());
    }
}
