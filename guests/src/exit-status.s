# exit-status.s - end the guest with a chosen exit status.
#
# Writes %edi (manifest default 7) as 4 bytes to the debug-exit port 0xF4; the
# monitor ends the guest with exit status (value << 1) | 1, as QEMU's isa-debug-exit.

        .code64
        .set DEBUG_EXIT_PORT, 0xf4

        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        movl %edi, %eax
        movw $DEBUG_EXIT_PORT, %dx
        outl %eax, %dx

        # The monitor should stop here; if it resumes us, halt rather than run on.
1:      cli
        hlt
        jmp 1b
