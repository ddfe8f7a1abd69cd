package dev.jkvm.kvm;

import dev.jkvm.bindings.generated.kvm_dtable;
import dev.jkvm.bindings.generated.kvm_regs;
import dev.jkvm.bindings.generated.kvm_segment;
import dev.jkvm.bindings.generated.kvm_sregs;
import dev.jkvm.guest.CpuMode;
import dev.jkvm.guest.GuestLayout;
import java.lang.foreign.MemorySegment;

/**
 * Puts a fresh vCPU into the mode a guest expects at its first instruction (guests/README.md):
 * real mode with zero segments; 32-bit protected mode with flat segments; or 64-bit long mode with
 * a GDT and identity-mapped 2 MiB pages that the monitor writes into guest memory.
 * Starts from KVM_GET_SREGS so that state we do not touch (TR, LDT) keeps KVM's valid reset values.
 */
public final class CpuSetup {
    // Control register and EFER bits (Intel SDM vol. 3, 2.5; AMD APM vol. 2, 3.1).
    private static final long CR0_PE = 1L;
    private static final long CR0_PG = 1L << 31;
    private static final long CR4_PAE = 1L << 5;
    private static final long EFER_LME = 1L << 8;
    private static final long EFER_LMA = 1L << 10;
    // Page-table entry bits.
    private static final long PTE_PRESENT = 1, PTE_WRITABLE = 2, PTE_HUGE = 1L << 7;
    // GDT descriptors: null, code, data. Selectors are index * 8.
    private static final long GDT_CODE64 = 0x00AF_9B00_0000_FFFFL;
    private static final long GDT_CODE32 = 0x00CF_9B00_0000_FFFFL;
    private static final long GDT_DATA = 0x00CF_9300_0000_FFFFL;
    private static final short CODE_SELECTOR = 0x08, DATA_SELECTOR = 0x10;
    /** The selectors the Linux boot protocol names: __BOOT_CS and __BOOT_DS. */
    private static final short LINUX_BOOT_CS = 0x10, LINUX_BOOT_DS = 0x18;
    private static final long RFLAGS_RESERVED = 0x2;
    /** Real-mode guests set their own stack; this is only a safe start below the image. */
    private static final long REAL_MODE_SP = 0x7000;

    private CpuSetup() {}

    /**
     * Sets registers for {@code mode}: RIP = entry, RSP = top of memory (real mode: 0x7000),
     * RDI = the guest's argument, RSI = the vCPU's TSC frequency in kHz (so timer guests can turn
     * periods into TSC cycles without calibrating). The state of a single-vCPU VM's only vCPU.
     */
    public static void apply(Vcpu vcpu, GuestMemory memory, CpuMode mode, long entry, long arg, long tscKhz) {
        apply(vcpu, memory, mode, entry, arg, tscKhz, 0, 1);
    }

    /**
     * {@link #apply(Vcpu, GuestMemory, CpuMode, long, long, long)} for vCPU {@code index} of {@code count}
     * started directly at the entry point: the same state as vCPU 0 but its own stack
     * ({@link #stackTop}), RDX = its index and RCX = the number of vCPUs, so a guest's code can tell
     * its processors apart without an APIC.
     */
    public static void apply(Vcpu vcpu, GuestMemory memory, CpuMode mode, long entry, long arg, long tscKhz, int index, int count) {
        MemorySegment sregs = vcpu.getSregs();
        switch (mode) {
            case REAL -> realMode(sregs);
            case PROTECTED -> {
                writeGdt(memory, GDT_CODE32);
                protectedMode(sregs, false);
            }
            case LONG -> {
                writeGdt(memory, GDT_CODE64);
                writeIdentityPageTables(memory);
                protectedMode(sregs, true);
            }
        }
        vcpu.setSregs(sregs);

        MemorySegment regs = vcpu.getRegs();
        regs.fill((byte) 0);
        kvm_regs.rip(regs, entry);
        kvm_regs.rsp(regs, stackTop(mode, memory.size(), index));
        kvm_regs.rdi(regs, arg);
        kvm_regs.rsi(regs, tscKhz);
        kvm_regs.rdx(regs, index);
        kvm_regs.rcx(regs, count);
        kvm_regs.rflags(regs, RFLAGS_RESERVED);
        vcpu.setRegs(regs);
    }

    /**
     * The initial stack pointer of vCPU {@code index}: the top of memory less {@code index} stacks of
     * {@link GuestLayout#VCPU_STACK_BYTES} (protected and long mode); real-mode guests set their own
     * stack, all start with 0x7000.
     */
    public static long stackTop(CpuMode mode, long memorySize, int index) {
        if (index < 0) throw new IllegalArgumentException("vCPU index " + index);
        return mode == CpuMode.REAL ? REAL_MODE_SP : memorySize - index * GuestLayout.VCPU_STACK_BYTES;
    }

    /**
     * The Multiboot handover on top of {@link #apply} in protected mode: EAX = 0x2BADB002 and EBX = the
     * information structure's physical address (EFLAGS has IF and VM clear, paging is off: as apply left them).
     */
    public static void multiboot(Vcpu vcpu, int magic, long infoAddress) {
        MemorySegment regs = vcpu.getRegs();
        kvm_regs.rax(regs, Integer.toUnsignedLong(magic));
        kvm_regs.rbx(regs, infoAddress);
        vcpu.setRegs(regs);
    }

    /**
     * The x86 64-bit boot protocol's entry state (boot.rst, "64-bit Boot Protocol"): long mode with
     * paging on and the first 1 GiB identity-mapped (kernel, boot_params, command line and initrd
     * included), a GDT whose selector 0x10 (__BOOT_CS) is flat 64-bit code and 0x18 (__BOOT_DS) flat
     * data, CS = 0x10, DS = ES = SS = 0x18, interrupts off, RSI = boot_params, RIP = the 64-bit entry.
     */
    public static void linux64(Vcpu vcpu, GuestMemory memory, long entry, long bootParams) {
        memory.writeLong(GuestLayout.GDT, 0);
        memory.writeLong(GuestLayout.GDT + 8, 0);
        memory.writeLong(GuestLayout.GDT + 16, GDT_CODE64);
        memory.writeLong(GuestLayout.GDT + 24, GDT_DATA);
        writeIdentityPageTables(memory);
        MemorySegment sregs = vcpu.getSregs();
        protectedMode(sregs, true);
        kvm_dtable.limit(kvm_sregs.gdt(sregs), (short) (4 * 8 - 1));
        kvm_segment.selector(kvm_sregs.cs(sregs), LINUX_BOOT_CS);
        for (MemorySegment seg : new MemorySegment[] {kvm_sregs.ds(sregs), kvm_sregs.es(sregs), kvm_sregs.fs(sregs), kvm_sregs.gs(sregs), kvm_sregs.ss(sregs)}) {
            kvm_segment.selector(seg, LINUX_BOOT_DS);
        }
        vcpu.setSregs(sregs);
        MemorySegment regs = vcpu.getRegs();
        regs.fill((byte) 0);
        kvm_regs.rip(regs, entry);
        kvm_regs.rsi(regs, bootParams);
        // The kernel sets its own stack at once; this one only keeps an early fault from writing to 0.
        kvm_regs.rsp(regs, bootParams);
        kvm_regs.rflags(regs, RFLAGS_RESERVED);
        vcpu.setRegs(regs);
    }

    private static void realMode(MemorySegment sregs) {
        for (MemorySegment seg : segments(sregs)) {
            kvm_segment.base(seg, 0);
            kvm_segment.selector(seg, (short) 0);
        }
    }

    private static void protectedMode(MemorySegment sregs, boolean longMode) {
        kvm_dtable.base(kvm_sregs.gdt(sregs), GuestLayout.GDT);
        kvm_dtable.limit(kvm_sregs.gdt(sregs), (short) (3 * 8 - 1));

        MemorySegment cs = kvm_sregs.cs(sregs);
        flatSegment(cs, CODE_SELECTOR, (byte) 11);
        kvm_segment.l(cs, (byte) (longMode ? 1 : 0));
        kvm_segment.db(cs, (byte) (longMode ? 0 : 1));
        for (MemorySegment seg : new MemorySegment[] {kvm_sregs.ds(sregs), kvm_sregs.es(sregs), kvm_sregs.fs(sregs), kvm_sregs.gs(sregs), kvm_sregs.ss(sregs)}) {
            flatSegment(seg, DATA_SELECTOR, (byte) 3);
            kvm_segment.db(seg, (byte) 1);
        }
        long cr0 = kvm_sregs.cr0(sregs) | CR0_PE;
        if (longMode) {
            kvm_sregs.cr3(sregs, GuestLayout.PML4);
            kvm_sregs.cr4(sregs, kvm_sregs.cr4(sregs) | CR4_PAE);
            // KVM_SET_SREGS rejects LME without LMA once paging is on: set both, as a CPU in long mode has them.
            kvm_sregs.efer(sregs, kvm_sregs.efer(sregs) | EFER_LME | EFER_LMA);
            cr0 |= CR0_PG;
        }
        kvm_sregs.cr0(sregs, cr0);
    }

    private static void flatSegment(MemorySegment seg, short selector, byte type) {
        kvm_segment.base(seg, 0);
        kvm_segment.limit(seg, 0xFFFF_FFFF);
        kvm_segment.selector(seg, selector);
        kvm_segment.type(seg, type);
        kvm_segment.present(seg, (byte) 1);
        kvm_segment.dpl(seg, (byte) 0);
        kvm_segment.s(seg, (byte) 1);
        kvm_segment.g(seg, (byte) 1);
        kvm_segment.avl(seg, (byte) 0);
        kvm_segment.unusable(seg, (byte) 0);
    }

    private static MemorySegment[] segments(MemorySegment sregs) {
        return new MemorySegment[] {
            kvm_sregs.cs(sregs), kvm_sregs.ds(sregs), kvm_sregs.es(sregs),
            kvm_sregs.fs(sregs), kvm_sregs.gs(sregs), kvm_sregs.ss(sregs)
        };
    }

    private static void writeGdt(GuestMemory memory, long code) {
        memory.writeLong(GuestLayout.GDT, 0);
        memory.writeLong(GuestLayout.GDT + 8, code);
        memory.writeLong(GuestLayout.GDT + 16, GDT_DATA);
    }

    /** PML4[0] → PDPT[0] → PD with 512 × 2 MiB pages: guest virtual = physical for the first 1 GiB. */
    private static void writeIdentityPageTables(GuestMemory memory) {
        memory.fill(GuestLayout.PML4, 3 * 4096, (byte) 0);
        memory.writeLong(GuestLayout.PML4, GuestLayout.PDPT | PTE_PRESENT | PTE_WRITABLE);
        memory.writeLong(GuestLayout.PDPT, GuestLayout.PD | PTE_PRESENT | PTE_WRITABLE);
        for (long i = 0; i < 512; i++) {
            memory.writeLong(GuestLayout.PD + i * 8, (i << 21) | PTE_PRESENT | PTE_WRITABLE | PTE_HUGE);
        }
    }
}
