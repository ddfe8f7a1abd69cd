# spin.s - pure CPU burner with a progress counter.
#
# Increments the u64 at 0x200000 forever and never exits; the monitor (or a test)
# samples the counter to see how much CPU time the vCPU actually got.  No I/O, no
# MSR access, so the only exits are the ones the host causes (timer interrupts,
# preemption) - exactly what the scheduling experiments want to observe.

        .code64
        .set COUNTER, 0x200000

        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        movl $COUNTER, %ebx             # zero-extends into %rbx
        movq $0, (%rbx)                 # start from 0 whatever the memory held
1:      incq (%rbx)                     # single writer: a plain incq is enough
        jmp 1b
