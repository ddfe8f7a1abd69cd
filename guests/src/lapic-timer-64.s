# lapic-timer-64.s - the periodic local-APIC timer and its tick ring, shared by
# the long-mode guests that sleep and wake (tick, duty).  Needs the in-kernel
# irqchip (manifest: irqchip = kernel).
#
# The LAPIC is driven in x2APIC mode, through MSRs: the monitor only
# identity-maps the first 1 GiB, so the xAPIC page at 0xfee00000 is not
# reachable, and KVM handles x2APIC MSR accesses in the kernel (no exit to
# jkvm).  The timer counts at KVM's APIC bus rate (1 GHz: one count per ns)
# with divide-by-1, so a period of 1e9 / H counts gives H Hz.
#
# Tick ring at 0x200000, all u64 little endian:
#   +0   magic "TICKRING" (written last by tick_ring_init, after the header)
#   +8   hz              ticks per second the timer was programmed for
#   +16  capacity        4096 entries
#   +24  ticks           total ticks received; entry i is in slot i % capacity
#   +32  period          the timer's initial count (APIC counts = ns)
#   +40  latest_tsc      the TSC at the latest tick
#   +48  work            duty's progress counter (0 for tick)
#   +56  duty percent    (0 for tick)
#   +64  entries: {u64 tsc at the handler's first instruction,
#                  u64 APIC counts since the timer last expired (period - current count)}
#        ending at 0x210040.
# An entry is complete before ticks is incremented.  The IDT is at 0x211000.

        .code64
        .set RING,          0x200000
        .set RING_MAGIC,    0x474e49524b434954  # "TICKRING" read as a little-endian u64
        .set RING_CAP,      4096
        .set OFF_HZ,        8
        .set OFF_CAP,       16
        .set OFF_TICKS,     24
        .set OFF_PERIOD,    32
        .set OFF_NOW,       40
        .set OFF_WORK,      48
        .set OFF_DUTY,      56
        .set OFF_ENTRIES,   64
        .set IDT,           0x211000
        .set TIMER_VECTOR,  0x20
        .set SPURIOUS_VECTOR, 0xff
        .set CODE_SELECTOR, 0x08            # the monitor's 64-bit code segment

        .set MSR_APIC_BASE, 0x1b
        .set APIC_BASE_EN,  (1 << 11)
        .set APIC_BASE_EXTD, (1 << 10)      # x2APIC mode
        .set X2APIC_EOI,    0x80b
        .set X2APIC_SVR,    0x80f
        .set X2APIC_LVTT,   0x832
        .set X2APIC_TMICT,  0x838
        .set X2APIC_TMCCT,  0x839
        .set X2APIC_TDCR,   0x83e
        .set LVT_PERIODIC,  (1 << 17)
        .set TDCR_DIV1,     0x0b
        .set CPUID_X2APIC,  21               # CPUID.1:ECX

        .text
# has_x2apic: CF = 1 when CPUID.1:ECX says the (in-kernel) LAPIC offers x2APIC mode.
# Clobbers %rax, %rbx, %rcx, %rdx.
        .globl has_x2apic
has_x2apic:
        movl $1, %eax
        cpuid
        btl $CPUID_X2APIC, %ecx
        ret

# tick_ring_init: header for %rdi Hz, %rsi = duty percent.  Clobbers %rax, %rcx, %rdx.
        .globl tick_ring_init
tick_ring_init:
        movl $RING, %ecx
        movq %rdi, OFF_HZ(%rcx)
        movq $RING_CAP, OFF_CAP(%rcx)
        movq $0, OFF_TICKS(%rcx)
        movl $1000000000, %eax
        xorl %edx, %edx
        divq %rdi                           # period = 1e9 / hz APIC counts
        movq %rax, OFF_PERIOD(%rcx)
        movq $0, OFF_NOW(%rcx)
        movq $0, OFF_WORK(%rcx)
        movq %rsi, OFF_DUTY(%rcx)
        movabsq $RING_MAGIC, %rax
        movq %rax, (%rcx)                   # magic last: the header is complete
        ret

# timer_start: IDT with the timer and spurious vectors, x2APIC on, 8259s masked,
# LAPIC timer periodic at the ring's period.  Interrupts stay disabled; the
# caller does `sti`.  Clobbers %rax, %rcx, %rdx, %rdi.
        .globl timer_start
timer_start:
        movl $IDT, %edi                     # zero the 256 16-byte gates
        movl $(256 * 16 / 8), %ecx
        xorl %eax, %eax
        cld
        rep stosq
        leaq timer_isr(%rip), %rax
        movl $(IDT + TIMER_VECTOR * 16), %edi
        call set_gate
        leaq spurious_isr(%rip), %rax
        movl $(IDT + SPURIOUS_VECTOR * 16), %edi
        call set_gate
        lidt idt_descriptor(%rip)

        movb $0xff, %al                     # mask every 8259 input: only the LAPIC interrupts
        outb %al, $0x21
        outb %al, $0xa1

        movl $MSR_APIC_BASE, %ecx
        rdmsr
        orl $(APIC_BASE_EN | APIC_BASE_EXTD), %eax
        wrmsr
        movl $X2APIC_SVR, %ecx              # software-enable the LAPIC
        movl $(0x100 | SPURIOUS_VECTOR), %eax
        xorl %edx, %edx
        wrmsr
        movl $X2APIC_TDCR, %ecx
        movl $TDCR_DIV1, %eax
        wrmsr
        movl $X2APIC_LVTT, %ecx
        movl $(LVT_PERIODIC | TIMER_VECTOR), %eax
        wrmsr
        movl $X2APIC_TMICT, %ecx            # writing the initial count starts the timer
        movl RING + OFF_PERIOD, %eax
        wrmsr
        ret

# set_gate: 64-bit interrupt gate at %rdi for the handler at %rax (below 4 GiB).
set_gate:
        movw %ax, (%rdi)                    # offset 15:0
        movw $CODE_SELECTOR, 2(%rdi)
        movw $0x8e00, 4(%rdi)               # present, DPL 0, 64-bit interrupt gate, IST 0
        shrl $16, %eax
        movw %ax, 6(%rdi)                   # offset 31:16
        movl $0, 8(%rdi)                    # offset 63:32
        movl $0, 12(%rdi)
        ret

# The timer interrupt: log {TSC, counts since expiry}, then EOI.  Keeps every register.
timer_isr:
        pushq %rax
        pushq %rcx
        pushq %rdx
        pushq %rsi
        pushq %rdi
        rdtsc                               # first: the moment the vCPU runs the tick
        shlq $32, %rdx
        orq %rdx, %rax
        movq %rax, %rsi                     # %rsi = TSC at entry
        movl $X2APIC_TMCCT, %ecx
        rdmsr                               # %eax = current count, counting down to the next expiry
        movq RING + OFF_PERIOD, %rdi
        subq %rax, %rdi                     # %rdi = counts since the latest expiry
        movq RING + OFF_TICKS, %rdx
        movq %rdx, %rcx
        andq $(RING_CAP - 1), %rcx
        shlq $4, %rcx
        movq %rsi, RING + OFF_ENTRIES(%rcx)
        movq %rdi, RING + OFF_ENTRIES + 8(%rcx)
        incq %rdx
        movq %rdx, RING + OFF_TICKS         # publish after the entry is complete
        movq %rsi, RING + OFF_NOW
        movl $X2APIC_EOI, %ecx
        xorl %eax, %eax
        xorl %edx, %edx
        wrmsr
        popq %rdi
        popq %rsi
        popq %rdx
        popq %rcx
        popq %rax
        iretq

# Spurious LAPIC interrupts need no EOI.
spurious_isr:
        iretq

        .section .rodata
        .balign 8
idt_descriptor:
        .word 256 * 16 - 1
        .quad IDT
