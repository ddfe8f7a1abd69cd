# triple-fault.s - end the guest with a triple fault (KVM_EXIT_SHUTDOWN).
#
# Loads an IDT whose limit is 0, so no vector has a descriptor.  ud2 raises #UD;
# its gate is outside the IDT limit, which turns into #GP, then into a double
# fault whose gate is missing too, and a fault while delivering #DF is a triple
# fault: the CPU shuts down and KVM reports KVM_EXIT_SHUTDOWN to the monitor.

        .code64
        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        leaq msg(%rip), %rsi
        call com1_puts
        lidt empty_idt(%rip)
        ud2                             # #UD -> #GP -> #DF -> triple fault

        # Not reached.  Should a monitor resume anyway, halt instead of running on.
1:      cli
        hlt
        jmp 1b

        .section .rodata
msg:    .asciz "triple-fault: loading an empty IDT and faulting\n"
        .balign 8
empty_idt:
        .word 0                         # limit 0: not even vector 0 fits
        .quad 0                         # base
