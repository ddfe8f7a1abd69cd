package dev.jkvm.kvm;

/**
 * KVM_SET_MP_STATE by hand: the bound header does not carry it (jextract is not available to
 * regenerate), so the ioctl number and the one state jkvm sets are written here and checked against
 * gcc and {@code <linux/kvm.h>} by MpStateConformanceTest.
 */
public final class MpState {
    /** _IOW(KVMIO, 0x99, struct kvm_mp_state): struct kvm_mp_state is one __u32. */
    public static final long KVM_SET_MP_STATE = 0x4004AE99L;
    /** _IOR(KVMIO, 0x98, struct kvm_mp_state). */
    public static final long KVM_GET_MP_STATE = 0x8004AE98L;
    /** The vCPU runs when KVM_RUN is called (the BSP's state after creation). */
    public static final int RUNNABLE = 0;
    /** An AP with the in-kernel LAPIC starts in this state: it waits for INIT. */
    public static final int UNINITIALIZED = 1;
    /** Size of struct kvm_mp_state. */
    public static final int BYTES = 4;

    private MpState() {}
}
