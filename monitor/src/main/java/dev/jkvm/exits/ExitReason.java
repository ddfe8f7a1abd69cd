package dev.jkvm.exits;

import dev.jkvm.bindings.generated.LinuxHeaders;

/** KVM_EXIT_* reasons an x86 guest can produce, with the kernel's codes (from the generated bindings). */
public enum ExitReason {
    UNKNOWN(LinuxHeaders.KVM_EXIT_UNKNOWN()),
    EXCEPTION(LinuxHeaders.KVM_EXIT_EXCEPTION()),
    IO(LinuxHeaders.KVM_EXIT_IO()),
    HYPERCALL(LinuxHeaders.KVM_EXIT_HYPERCALL()),
    DEBUG(LinuxHeaders.KVM_EXIT_DEBUG()),
    HLT(LinuxHeaders.KVM_EXIT_HLT()),
    MMIO(LinuxHeaders.KVM_EXIT_MMIO()),
    IRQ_WINDOW_OPEN(LinuxHeaders.KVM_EXIT_IRQ_WINDOW_OPEN()),
    SHUTDOWN(LinuxHeaders.KVM_EXIT_SHUTDOWN()),
    FAIL_ENTRY(LinuxHeaders.KVM_EXIT_FAIL_ENTRY()),
    INTR(LinuxHeaders.KVM_EXIT_INTR()),
    SET_TPR(LinuxHeaders.KVM_EXIT_SET_TPR()),
    TPR_ACCESS(LinuxHeaders.KVM_EXIT_TPR_ACCESS()),
    NMI(LinuxHeaders.KVM_EXIT_NMI()),
    INTERNAL_ERROR(LinuxHeaders.KVM_EXIT_INTERNAL_ERROR()),
    WATCHDOG(LinuxHeaders.KVM_EXIT_WATCHDOG()),
    SYSTEM_EVENT(LinuxHeaders.KVM_EXIT_SYSTEM_EVENT()),
    IOAPIC_EOI(LinuxHeaders.KVM_EXIT_IOAPIC_EOI()),
    HYPERV(LinuxHeaders.KVM_EXIT_HYPERV()),
    X86_RDMSR(LinuxHeaders.KVM_EXIT_X86_RDMSR()),
    X86_WRMSR(LinuxHeaders.KVM_EXIT_X86_WRMSR()),
    DIRTY_RING_FULL(LinuxHeaders.KVM_EXIT_DIRTY_RING_FULL()),
    AP_RESET_HOLD(LinuxHeaders.KVM_EXIT_AP_RESET_HOLD()),
    X86_BUS_LOCK(LinuxHeaders.KVM_EXIT_X86_BUS_LOCK()),
    XEN(LinuxHeaders.KVM_EXIT_XEN()),
    NOTIFY(LinuxHeaders.KVM_EXIT_NOTIFY());

    /** Codes are small and dense; statistics index arrays by code. Codes at or above this are counted as "other". */
    public static final int CODE_LIMIT = 64;
    private static final ExitReason[] BY_CODE = new ExitReason[CODE_LIMIT];

    static {
        for (ExitReason r : values()) BY_CODE[r.code] = r;
    }

    private final int code;

    ExitReason(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The reason for a code, or null for a code jkvm has no name for. */
    public static ExitReason ofCode(int code) {
        return code >= 0 && code < CODE_LIMIT ? BY_CODE[code] : null;
    }

    /** "IO", "HLT", or "reason 77" for a code without a name. */
    public static String nameOf(int code) {
        ExitReason r = ofCode(code);
        return r == null ? "reason " + code : r.name();
    }
}
