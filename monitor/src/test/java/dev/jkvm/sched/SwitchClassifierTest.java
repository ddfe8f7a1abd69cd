package dev.jkvm.sched;

import static dev.jkvm.sched.KvmRunTrace.INSIDE;
import static dev.jkvm.sched.KvmRunTrace.OUTSIDE;
import static dev.jkvm.sched.KvmRunTrace.UNKNOWN;
import static dev.jkvm.sched.SwitchClassifier.SwitchClass.FIRST_LOAD;
import static dev.jkvm.sched.SwitchClassifier.SwitchClass.OTHER_VCPU;
import static dev.jkvm.sched.SwitchClassifier.SwitchClass.OUTSIDE_KVM_RUN;
import static dev.jkvm.sched.SwitchClassifier.SwitchClass.SAME_VCPU;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Hand-written sequences with known answers: what KVM has loaded on a CPU after each step. */
class SwitchClassifierTest {
    final VcpuId a = new VcpuId("vm0", 0, 100), b = new VcpuId("vm1", 0, 101);
    final SwitchClassifier c = new SwitchClassifier();

    @Test
    void twoVcpusTakingTurnsInsideKvmRunEachReloadTheOther() {
        assertEquals(FIRST_LOAD, c.schedIn(a, 1, INSIDE).switchClass());
        c.sliceEnded(a, 1, INSIDE);
        var second = c.schedIn(b, 1, INSIDE);
        assertEquals(OTHER_VCPU, second.switchClass());
        assertEquals(a, second.loadedBefore());
        c.sliceEnded(b, 1, INSIDE);
        assertEquals(OTHER_VCPU, c.schedIn(a, 1, INSIDE).switchClass());
    }

    @Test
    void idleOrAForeignTaskInBetweenChangesNothing() {
        c.schedIn(a, 1, INSIDE);
        c.sliceEnded(a, 1, INSIDE);
        // a blocks, the CPU idles or runs a foreign task (nothing the classifier sees), a comes back.
        var back = c.schedIn(a, 1, INSIDE);
        assertEquals(SAME_VCPU, back.switchClass());
        assertEquals(a, back.loadedBefore());
    }

    @Test
    void aSchedInOutsideKvmRunLoadsNothingAndChangesNothing() {
        c.schedIn(a, 1, INSIDE);
        c.sliceEnded(a, 1, INSIDE);
        // b is switched in while handling an exit in user space, and never enters KVM_RUN in that slice.
        var outside = c.schedIn(b, 1, OUTSIDE);
        assertEquals(OUTSIDE_KVM_RUN, outside.switchClass());
        assertEquals(a, outside.loadedBefore());
        c.sliceEnded(b, 1, OUTSIDE);
        assertEquals(SAME_VCPU, c.schedIn(a, 1, INSIDE).switchClass(), "a's VMCS is still the current one");
    }

    @Test
    void enteringKvmRunDuringASliceLoadsThatVcpu() {
        c.schedIn(a, 1, INSIDE);
        c.sliceEnded(a, 1, INSIDE);
        // b comes in outside KVM_RUN, then enters it (vcpu_load at the ioctl) before it is preempted.
        assertEquals(OUTSIDE_KVM_RUN, c.schedIn(b, 1, OUTSIDE).switchClass());
        c.sliceEnded(b, 1, INSIDE);
        var back = c.schedIn(a, 1, INSIDE);
        assertEquals(OTHER_VCPU, back.switchClass(), "b's KVM_RUN entry made b's VMCS current");
        assertEquals(b, back.loadedBefore());
    }

    @Test
    void cpusAreIndependent() {
        c.schedIn(a, 0, INSIDE);
        c.sliceEnded(a, 0, INSIDE);
        assertEquals(FIRST_LOAD, c.schedIn(b, 1, INSIDE).switchClass());
        c.sliceEnded(b, 1, INSIDE);
        assertEquals(SAME_VCPU, c.schedIn(a, 0, INSIDE).switchClass());
        assertEquals(OTHER_VCPU, c.schedIn(a, 1, INSIDE).switchClass(), "a migrates to CPU 1, where b was loaded");
    }

    @Test
    void afterLostRecordsTheLoadedVcpuIsUnknownUntilTheNextLoad() {
        c.schedIn(a, 1, INSIDE);
        c.sliceEnded(a, 1, INSIDE);
        c.lostRecords();
        var unknown = c.schedIn(a, 1, INSIDE);
        assertEquals(SwitchClassifier.SwitchClass.UNKNOWN, unknown.switchClass());
        assertNull(unknown.loadedBefore());
        c.sliceEnded(a, 1, INSIDE);
        assertEquals(OTHER_VCPU, c.schedIn(b, 1, INSIDE).switchClass(), "known again after a load");
        assertEquals(SwitchClassifier.SwitchClass.UNKNOWN, c.schedIn(b, 2, INSIDE).switchClass(), "a CPU not seen since the loss");
    }

    @Test
    void anUnknownKvmRunStateMakesTheCpuUnknown() {
        c.schedIn(a, 1, INSIDE);
        c.sliceEnded(a, 1, UNKNOWN);
        assertEquals(SwitchClassifier.SwitchClass.UNKNOWN, c.schedIn(b, 1, INSIDE).switchClass());
        assertEquals(SwitchClassifier.SwitchClass.UNKNOWN, c.schedIn(a, 3, UNKNOWN).switchClass());
    }
}
