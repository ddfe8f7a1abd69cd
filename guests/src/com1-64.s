# com1-64.s - polled COM1 output for the long-mode guests.
#
# Shared by every 64-bit guest that prints.  Like a real 16550 driver it waits for
# the line status register to report "transmit holding register empty" before
# writing each byte; the monitor answers LSR reads with 0x60, so the wait costs one
# extra port-I/O exit per byte and never spins.

        .code64
        .set COM1_THR, 0x3f8            # transmit holding register (out)
        .set COM1_LSR, 0x3fd            # line status register (in)
        .set LSR_THRE, 0x20             # bit 5: transmit holding register empty

        .text
        .globl com1_puts
        .type com1_puts, @function
# com1_puts: write the NUL-terminated string at %rsi to COM1.
# Clobbers %rax, %rdx, %rsi; nothing else, so callers may keep state in other registers.
com1_puts:
        cld                             # lodsb must walk forwards
1:      lodsb                           # %al = next byte, %rsi++
        testb %al, %al
        jz 3f                           # NUL ends the string
        movb %al, %ah                   # keep the byte: the LSR read below overwrites %al
        movw $COM1_LSR, %dx
2:      inb %dx, %al
        testb $LSR_THRE, %al
        jz 2b                           # transmitter busy: poll again
        movb %ah, %al
        movw $COM1_THR, %dx
        outb %al, %dx
        jmp 1b
3:      ret
        .size com1_puts, . - com1_puts
