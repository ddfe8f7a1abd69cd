# tick.s - sleep until the timer, over and over: the LAPIC timer interrupts H
# times a second (H = %rdi, manifest default 1000) and the guest HLTs between
# ticks.  With the in-kernel irqchip HLT does not exit to jkvm: KVM blocks the
# vCPU thread until the next tick, so the vCPU sleeps and wakes H times a second.
# Every tick is logged by the handler in the tick ring (lapic-timer-64.s), from
# which jkvm computes each wake-up's latency.  Never exits.
#
# Without x2APIC in CPUID, or with H outside 1..100000, it prints why and writes
# 1 to the debug-exit port (exit status 3).

        .code64
        .set DEBUG_EXIT_PORT, 0xf4
        .set MAX_HZ, 100000

        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        movq %rdi, %r12                     # hz
        leaq bad_hz(%rip), %rsi
        testq %r12, %r12
        jz fail
        cmpq $MAX_HZ, %r12
        ja fail
        call has_x2apic
        leaq no_x2apic(%rip), %rsi
        jnc fail

        movq %r12, %rdi
        xorl %esi, %esi                     # duty 0: only sleeping
        call tick_ring_init
        call timer_start
        sti
1:      hlt                                 # sleep; the tick's handler runs, then we sleep again
        jmp 1b

fail:   call com1_puts
        movl $1, %eax
        movw $DEBUG_EXIT_PORT, %dx
        outl %eax, %dx
2:      cli
        hlt
        jmp 2b

        .section .rodata
bad_hz:    .asciz "tick: ARG (ticks per second) must be 1..100000\n"
no_x2apic: .asciz "tick: the LAPIC offers no x2APIC mode (CPUID.1:ECX bit 21)\n"
