package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * A vCPU's KVM_RUN state by the kernel's kvm:kvm_fpu records, and after some of them were lost. An
 * audit against tracefs found that, after a loss, the recorder had trusted user-space KVM_RUN times
 * for the rest of the run: a thread preempted just after its ioctl returned (the kernel's put, then
 * the switch, before user space took its time) was recorded inside KVM_RUN with a class, wrong on
 * 1,621 of 7,574 sched-ins, unmarked. Now a lost record makes each thread's state unknown until its
 * next record, and user-space times may only prove "outside" meanwhile (they bracket the ioctl).
 */
class KernelKvmRunAfterLossTest {
    private static final int IN = KvmRunTrace.INSIDE, OUT = KvmRunTrace.OUTSIDE, UNKNOWN = KvmRunTrace.UNKNOWN;

    private static VcpuAccount account() {
        KvmRunTrace userSpace = new KvmRunTrace();
        userSpace.enter(100);  // user space: ioctl called at 100, returned at 300 (the kernel's KVM_RUN within)
        userSpace.leave(300);
        return new VcpuAccount(new VcpuId("vm0", 0, 1234), userSpace, false);
    }

    @Test
    void theKernelsRecordsDecideWhileNoneIsLost() {
        VcpuAccount a = account();
        assertEquals(OUT, a.kernelState(50));
        a.kernelFpu(true);
        assertEquals(IN, a.kernelState(150));
        a.kernelFpu(false);
        assertEquals(OUT, a.kernelState(290), "the kernel put the state: outside, whatever user space's later return says");
        assertEquals(IN, a.kernelEntered(120, 290), "it entered during the slice");
    }

    @Test
    void afterALossUserSpaceCanOnlyProveOutside() {
        VcpuAccount a = account();
        a.kernelFpu(true);
        a.kernelFpu(false);
        a.kernelRecordsLost();
        assertEquals(UNKNOWN, a.kernelState(290), "inside by user space, but perhaps after the kernel's leave: unknown");
        assertEquals(OUT, a.kernelState(400), "after the ioctl returned: outside for certain");
        assertEquals(OUT, a.kernelState(50), "before the ioctl was called: outside for certain");
        a.unknownInSlice = a.kernelUnknown; // a sched-in while unknown
        a.enteredInSlice = false;
        assertEquals(UNKNOWN, a.kernelEntered(250, 290));
        assertEquals(OUT, a.kernelEntered(310, 400), "no user-space KVM_RUN in the slice");
        a.kernelFpu(true);
        assertEquals(IN, a.kernelState(150), "the next record makes the state known again");
        assertEquals(IN, a.kernelEntered(120, 290), "a load in the slice is an entry for certain");
        a.kernelFpu(false);
        a.enteredInSlice = false;
        assertEquals(UNKNOWN, a.kernelEntered(120, 290), "the slice began while unknown: an entry may be among the lost records");
        a.unknownInSlice = a.kernelUnknown; // the next sched-in, known again
        assertEquals(OUT, a.kernelEntered(120, 290));
    }
}
