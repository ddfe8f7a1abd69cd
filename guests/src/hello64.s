# hello64.s - long-mode hello world, linked as an ELF64 executable.
#
# The monitor loads the PT_LOAD segments (code at 0x100000, strings at 0x101000)
# and jumps to e_entry.  com1-64.o is linked first, so e_entry is NOT the first
# byte of the image: a loader that jumps to the load address instead runs
# com1_puts with whatever %rsi holds and then returns into nowhere, so it never
# prints this line.

        .code64
        .text
        .globl _start
        .type _start, @function
_start:
        cli
        leaq msg(%rip), %rsi
        call com1_puts                  # uses the monitor-provided stack (RSP = top of memory)

done:   cli                             # HLT exits to the monitor: status 0
        hlt
        jmp done                        # if resumed anyway, halt again
        .size _start, . - _start

        .section .rodata
msg:    .asciz "Hello from jkvm (long mode)\n"
