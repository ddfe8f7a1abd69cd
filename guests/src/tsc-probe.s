# tsc-probe.s - detect time the vCPU did not run, from the inside.
#
# Reads the TSC back to back.  Consecutive reads are normally tens of cycles
# apart; a much larger gap means the guest was not executing in between (a VM
# exit, a host interrupt, the vCPU thread being descheduled).  Every gap above a
# threshold is logged to a ring in guest memory that the monitor reads live.
#
# Layout at 0x200000, all u64 little endian:
#   +0   magic  "TSCPROBE" (written first thing)
#   +8   threshold_cycles   (from %rdi, manifest default 200000)
#   +16  capacity           (4096 entries)
#   +24  write_count        (monotonic; entry slot = write_count % capacity)
#   +32  iterations         (loop count, +1 every iteration)
#   +40  latest_tsc         (the TSC of the latest read, stored every iteration: the
#                            monitor samples it to map guest TSC to host time)
#   +48  reserved, 0 (2 x u64)
#   +64  entries: capacity x {u64 tsc_before_gap, u64 gap_cycles} = 64 KiB,
#        ending at 0x210040.
# An entry is written completely before write_count is incremented; x86 stores
# become visible in program order, so a reader that sees write_count = n can read
# entries up to n-1 (the slowest of which may already be overwritten once the ring
# has wrapped).  Never exits.

        .code64
        .set PROBE,       0x200000
        .set MAGIC,       0x45424f5250435354    # "TSCPROBE" read as a little-endian u64
        .set CAPACITY,    4096                  # power of two: slot = count & (CAPACITY-1)
        .set OFF_THRESH,  8
        .set OFF_CAP,     16
        .set OFF_COUNT,   24
        .set OFF_ITER,    32
        .set OFF_NOW,     40
        .set OFF_ENTRIES, 64
        .set ENTRY_SHIFT, 4                     # 16-byte entries

        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        movl $PROBE, %ebx
        movabsq $MAGIC, %rax
        movq %rax, (%rbx)               # magic first: tells the reader the probe is alive
        movq %rdi, OFF_THRESH(%rbx)
        movq $CAPACITY, OFF_CAP(%rbx)
        xorl %eax, %eax
        movq %rax, OFF_COUNT(%rbx)
        movq %rax, OFF_ITER(%rbx)
        movq %rax, 40(%rbx)
        movq %rax, 48(%rbx)
        movq %rax, 56(%rbx)

        # %r8 = previous TSC, %rdi = threshold, %rbx = header
        rdtsc
        shlq $32, %rdx
        orq %rdx, %rax
        movq %rax, %r8

loop:   rdtsc
        shlq $32, %rdx
        orq %rdx, %rax                  # %rax = now
        movq %rax, %rcx
        subq %r8, %rcx                  # %rcx = gap since the previous read
        cmpq %rdi, %rcx
        jbe next                        # gap <= threshold: nothing to log

        movq OFF_COUNT(%rbx), %rdx      # only this guest writes write_count
        movq %rdx, %rsi
        andq $(CAPACITY - 1), %rsi
        shlq $ENTRY_SHIFT, %rsi
        leaq OFF_ENTRIES(%rbx,%rsi), %rsi
        movq %r8, (%rsi)                # tsc_before_gap
        movq %rcx, 8(%rsi)              # gap_cycles
        incq %rdx
        movq %rdx, OFF_COUNT(%rbx)      # publish after the entry is complete

next:   movq %rax, %r8
        movq %rax, OFF_NOW(%rbx)        # latest TSC, for the monitor's clock mapping
        incq OFF_ITER(%rbx)
        jmp loop
