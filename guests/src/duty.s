# duty.s - compute for D % of every timer period, sleep for the rest: the classic
# mixed workload.  D = %rdi (manifest default 30, 0..100); the period is 10 ms
# (the LAPIC timer at 100 Hz).  After each tick the guest spins, counting work
# in the ring's `work` field (its progress counter), until the TSC is D % of a
# period past the tick's TSC, then HLTs until the next tick.  %rsi holds the
# vCPU's TSC frequency in kHz (given by jkvm), which turns D % of 10 ms into TSC
# cycles: D * kHz / 10.  Ticks are logged like tick's.  Never exits.
#
# Without x2APIC in CPUID, or with D > 100, it prints why and writes 1 to the
# debug-exit port (exit status 3).

        .code64
        .set DEBUG_EXIT_PORT, 0xf4
        .set HZ, 100
        .set RING_NOW, 0x200028             # tick ring: latest_tsc
        .set RING_WORK, 0x200030            # tick ring: work

        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        movq %rdi, %r12                     # duty percent
        movq %rsi, %r13                     # TSC kHz
        leaq bad_duty(%rip), %rsi
        cmpq $100, %r12
        ja fail
        call has_x2apic
        leaq no_x2apic(%rip), %rsi
        jnc fail

        movq %r12, %rax
        mulq %r13
        movl $10, %ecx
        divq %rcx
        movq %rax, %r14                     # %r14 = busy cycles per period = D * kHz / 10

        movl $HZ, %edi
        movq %r12, %rsi
        call tick_ring_init
        call timer_start
        sti
sleep:  hlt                                 # until the next tick (its handler has run when we go on)
        movq RING_NOW, %r15
        addq %r14, %r15                     # busy until the tick's TSC + D % of a period
work:   incq RING_WORK
        rdtsc
        shlq $32, %rdx
        orq %rdx, %rax
        cmpq %r15, %rax
        jb work
        jmp sleep

fail:   call com1_puts
        movl $1, %eax
        movw $DEBUG_EXIT_PORT, %dx
        outl %eax, %dx
2:      cli
        hlt
        jmp 2b

        .section .rodata
bad_duty:  .asciz "duty: ARG (percent of each 10 ms period spent computing) must be 0..100\n"
no_x2apic: .asciz "duty: the LAPIC offers no x2APIC mode (CPUID.1:ECX bit 21)\n"
