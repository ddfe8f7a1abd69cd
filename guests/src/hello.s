# hello.s - real-mode hello world.
#
# Loaded flat at 0x8000 and entered with CS=DS=ES=SS=0, IP=0x8000.  The monitor
# leaves SP alone in real mode, so the guest picks its own stack below the image.
# Prints one line on COM1, then halts.

        .code16
        .set COM1_THR, 0x3f8
        .set COM1_LSR, 0x3fd
        .set LSR_THRE, 0x20             # bit 5: transmit holding register empty

        .section .text.entry, "ax"
        .globl _start
_start:
        cli                             # no IDT worth the name: never take interrupts
        xorw %ax, %ax                   # the contract says segments are 0; make sure
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw $0x7000, %sp               # stack grows down from 0x7000, below the image
        cld

        movw $msg, %si
next:   lodsb                           # %al = [ds:si++]
        testb %al, %al
        jz done
        movb %al, %ah                   # the LSR read below clobbers %al
        movw $COM1_LSR, %dx
wait:   inb %dx, %al
        testb $LSR_THRE, %al
        jz wait
        movb %ah, %al
        movw $COM1_THR, %dx
        outb %al, %dx
        jmp next

done:   cli                             # cli;hlt: with no in-kernel irqchip HLT exits
        hlt                             # to the monitor, which reads it as status 0
        jmp done                        # if resumed anyway, halt again

        .section .rodata
msg:    .asciz "Hello from jkvm (real mode)\n"
