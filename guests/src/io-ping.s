# io-ping.s - exactly N port-I/O exits, then halt.
#
# N comes in %rdi (manifest default 1000; 0 means none).  Each `outl` to port
# 0x520 is one KVM_EXIT_IO, and the guest does no other port I/O (it prints
# nothing), so the monitor's I/O exit count for the run equals N exactly.  The
# value written is the number of pings still to go (N, N-1, ..., 1), which lets a
# monitor check ordering if it wants to.

        .code64
        .set PING_PORT, 0x520

        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        movq %rdi, %rcx                 # remaining pings
        movw $PING_PORT, %dx
        testq %rcx, %rcx
        jz done                         # N = 0: no exits at all
1:      movl %ecx, %eax
        outl %eax, %dx                  # one deliberate I/O exit
        decq %rcx
        jnz 1b

done:   cli                             # HLT exits to the monitor: status 0
        hlt
        jmp done                        # if resumed anyway, halt again
