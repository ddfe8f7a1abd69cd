# hello32.s - protected-mode (32-bit, no paging) hello world.
#
# Loaded flat at 0x8000 and entered with flat 4 GiB code/data segments and ESP at
# the top of guest memory.  Prints one line on COM1, then halts.

        .code32
        .set COM1_THR, 0x3f8
        .set COM1_LSR, 0x3fd
        .set LSR_THRE, 0x20             # bit 5: transmit holding register empty

        .section .text.entry, "ax"
        .globl _start
_start:
        cli                             # no IDT: never take interrupts
        movl $msg, %esi
        call puts

done:   cli                             # HLT exits to the monitor: status 0
        hlt
        jmp done                        # if resumed anyway, halt again

        .text
# puts: write the NUL-terminated string at %esi to COM1, polling LSR before each byte.
puts:
        cld
1:      lodsb
        testb %al, %al
        jz 3f
        movb %al, %ah                   # the LSR read below clobbers %al
        movw $COM1_LSR, %dx
2:      inb %dx, %al
        testb $LSR_THRE, %al
        jz 2b
        movb %ah, %al
        movw $COM1_THR, %dx
        outb %al, %dx
        jmp 1b
3:      ret

        .section .rodata
msg:    .asciz "Hello from jkvm (protected mode)\n"
