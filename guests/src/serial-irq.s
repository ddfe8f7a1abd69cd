# serial-irq.s - interrupt-driven COM1 output through the in-kernel 8259 PIC.
#
# Long mode, in-kernel irqchip.  (Long mode because on kvm-pvm, which emulates
# protected mode, KVM's instruction emulator cannot do a protected-mode IRET.)  Remaps the PICs to vectors
# 0x20-0x2f, unmasks only IRQ 4 (COM1), enables the UART's THRE interrupt
# (IER bit 1) and sleeps in HLT.  Each THRE interrupt reads IIR (which
# acknowledges it), writes the next byte of the message to THR and sends the PIC
# an EOI; a byte leaving THR makes THRE pending again, which is the next
# interrupt.  After the last byte the handler disables the interrupt and the
# guest writes 0 to the debug-exit port: exit status 1, the "pass" of QEMU test
# images.  Prints exactly "Hello from jkvm (COM1 interrupts)\n".
# I/O exits: 1 (IER on) + 2 per byte (IIR, THR) + 1 (last IIR) + 1 (IER off) + 1
# (debug exit); the PIC's ports are handled inside KVM and never exit.

        .code64
        .set IDT, 0x200000
        .set VECTOR_BASE, 0x20
        .set COM1_VECTOR, VECTOR_BASE + 4
        .set COM1_THR, 0x3f8
        .set COM1_IER, 0x3f9
        .set COM1_IIR, 0x3fa
        .set IER_THRE, 0x02
        .set IIR_THRE, 0x02
        .set DEBUG_EXIT_PORT, 0xf4

        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        movl $IDT, %edi                     # 256 empty 16-byte gates
        movl $512, %ecx
        xorl %eax, %eax
        cld
        rep stosq
        leaq com1_isr(%rip), %rax
        movw %ax, IDT + COM1_VECTOR * 16
        movw $0x08, IDT + COM1_VECTOR * 16 + 2      # the monitor's 64-bit code segment
        movw $0x8e00, IDT + COM1_VECTOR * 16 + 4    # present, DPL 0, 64-bit interrupt gate
        shrl $16, %eax
        movw %ax, IDT + COM1_VECTOR * 16 + 6
        movl $0, IDT + COM1_VECTOR * 16 + 8         # offset 63:32 (the image is below 4 GiB)
        lidt idtr(%rip)

        movb $0x11, %al                     # ICW1: edge triggered, cascade, ICW4 follows
        outb %al, $0x20
        outb %al, $0xa0
        movb $VECTOR_BASE, %al              # ICW2: vector bases
        outb %al, $0x21
        movb $(VECTOR_BASE + 8), %al
        outb %al, $0xa1
        movb $0x04, %al                     # ICW3: slave on IRQ 2
        outb %al, $0x21
        movb $0x02, %al
        outb %al, $0xa1
        movb $0x01, %al                     # ICW4: 8086 mode
        outb %al, $0x21
        outb %al, $0xa1
        movb $0xef, %al                     # unmask IRQ 4 only
        outb %al, $0x21
        movb $0xff, %al
        outb %al, $0xa1

        movw $COM1_IER, %dx                 # THR is empty: THRE fires at once
        movb $IER_THRE, %al
        outb %al, %dx
        sti
1:      hlt                                 # sleeps in KVM until the next interrupt
        cmpb $0, done(%rip)
        je 1b

        cli
        xorl %eax, %eax                     # value 0: exit status 1
        movw $DEBUG_EXIT_PORT, %dx
        outl %eax, %dx
2:      hlt
        jmp 2b

com1_isr:
        pushq %rax
        pushq %rdx
        pushq %rsi
        movw $COM1_IIR, %dx
        inb %dx, %al                        # reading IIR acknowledges THRE
        andb $0x0f, %al
        cmpb $IIR_THRE, %al
        jne 4f
        movq next(%rip), %rsi
        lodsb
        testb %al, %al
        jz 3f
        movq %rsi, next(%rip)
        movw $COM1_THR, %dx
        outb %al, %dx
        jmp 4f
3:      movw $COM1_IER, %dx                 # message done: no more interrupts
        xorb %al, %al
        outb %al, %dx
        movb $1, done(%rip)
4:      movb $0x20, %al                     # non-specific EOI to the master PIC
        outb %al, $0x20
        popq %rsi
        popq %rdx
        popq %rax
        iretq

        .section .rodata
        .balign 8
idtr:   .word 256 * 16 - 1
        .quad IDT
msg:    .asciz "Hello from jkvm (COM1 interrupts)\n"

        .data
        .balign 8
next:   .quad msg
done:   .byte 0
