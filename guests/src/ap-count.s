# ap-count.s - starts the application processors the real way and counts them.
#
# The bootstrap processor (vCPU 0; jkvm puts the VM's vCPU count in %rcx) copies
# a real-mode trampoline to 0x8000, turns its local APIC on in x2APIC mode and
# sends INIT, then two start-up IPIs with vector 0x08 to all processors but
# itself (ICR shorthand "all excluding self").  Each AP wakes in real mode at
# 0800:0000, increments the u32 at 0x7000 with a locked add, and sleeps in HLT
# (with the in-kernel irqchip HLT blocks in KVM; nothing wakes it).  The BSP
# waits up to one second (TSC; %rsi = TSC kHz) for vCPUs - 1 arrivals, prints
#   ap-count: N of M application processors started
# and ends through the debug-exit port: status 1 when every AP arrived, else 3.
# Needs irqchip = kernel and ap-start = sipi (the APs wait in KVM for INIT/SIPI).

        .code64
        .set ARRIVED,        0x7000          # u32, incremented by each AP (real mode, DS = 0)
        .set TRAMPOLINE,     0x8000          # page of SIPI vector 0x08
        .set SIPI_VECTOR,    0x08
        .set MSR_APIC_BASE,  0x1b
        .set APIC_BASE_EN,   (1 << 11)
        .set APIC_BASE_EXTD, (1 << 10)
        .set X2APIC_SVR,     0x80f
        .set X2APIC_ICR,     0x830
        .set ICR_ALL_BUT_SELF, (3 << 18)
        .set ICR_LEVEL_ASSERT, (1 << 14)
        .set ICR_INIT,       (5 << 8)
        .set ICR_STARTUP,    (6 << 8)
        .set DEBUG_EXIT_PORT, 0xf4

        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        movl %ecx, %r12d                    # vCPUs in this VM
        movl %esi, %r13d                    # TSC kHz
        movl $0, ARRIVED
        leaq trampoline(%rip), %rsi         # the APs' first code, below 1 MiB
        movl $TRAMPOLINE, %edi
        movl $(trampoline_end - trampoline), %ecx
        cld
        rep movsb

        movl $MSR_APIC_BASE, %ecx           # x2APIC: the xAPIC page at 0xfee00000 is not mapped
        rdmsr
        orl $(APIC_BASE_EN | APIC_BASE_EXTD), %eax
        wrmsr
        movl $X2APIC_SVR, %ecx              # software-enable the LAPIC, spurious vector 0xff
        movl $0x1ff, %eax
        xorl %edx, %edx
        wrmsr
        movl $X2APIC_ICR, %ecx              # INIT, then SIPI twice (KVM needs no 10 ms pause between)
        movl $(ICR_ALL_BUT_SELF | ICR_LEVEL_ASSERT | ICR_INIT), %eax
        xorl %edx, %edx
        wrmsr
        movl $(ICR_ALL_BUT_SELF | ICR_STARTUP | SIPI_VECTOR), %eax
        wrmsr
        wrmsr

        rdtsc                               # deadline: one second of TSC from now
        shlq $32, %rdx
        orq %rdx, %rax
        movl %r13d, %ecx
        imulq $1000, %rcx
        leaq (%rax,%rcx), %r14
        leal -1(%r12), %r15d                # APs expected
wait:
        cmpl %r15d, ARRIVED
        jae report
        pause
        rdtsc
        shlq $32, %rdx
        orq %rdx, %rax
        cmpq %r14, %rax
        jb wait

report:
        movl ARRIVED, %ebx
        leaq msg_head(%rip), %rsi
        call com1_puts
        movl %ebx, %eax
        call put_decimal
        leaq msg_of(%rip), %rsi
        call com1_puts
        movl %r15d, %eax
        call put_decimal
        leaq msg_tail(%rip), %rsi
        call com1_puts
        xorl %eax, %eax                     # 0 → status 1: every AP arrived
        cmpl %r15d, %ebx
        je 1f
        movl $1, %eax                       # 1 → status 3
1:      movw $DEBUG_EXIT_PORT, %dx
        outl %eax, %dx
2:      cli
        hlt
        jmp 2b

# put_decimal: print %eax (unsigned) in decimal.  Clobbers %rax, %rcx, %rdx, %rsi, %rdi.
put_decimal:
        leaq digits_end(%rip), %rdi
        movb $0, (%rdi)
        movl $10, %ecx
3:      xorl %edx, %edx
        divl %ecx
        addb $'0', %dl
        decq %rdi
        movb %dl, (%rdi)
        testl %eax, %eax
        jnz 3b
        movq %rdi, %rsi
        jmp com1_puts

# The APs' code, copied to 0x8000: real mode, CS = 0x0800, DS = 0 after INIT.
        .code16
trampoline:
        lock incl ARRIVED
4:      cli
        hlt
        jmp 4b
trampoline_end:
        .code64

        .section .data
msg_head: .asciz "ap-count: "
msg_of:   .asciz " of "
msg_tail: .asciz " application processors started\n"
digits:   .space 11
digits_end: .byte 0
