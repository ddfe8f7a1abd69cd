# lock.s - K vCPUs contend one spinlock (test-and-test-and-set with PAUSE in the
# wait loop) and publish how long they held it and waited for it, by TSC.
#
# Every vCPU starts here (ap-start = direct): %rdx = its index, %rcx = the VM's
# vCPU count, %rdi = the critical section's length in iterations (arg), %rsi = TSC kHz.
# Each round: take the lock (t0 = wanted, t1 = acquired), increment the shared
# counter arg times, note the hold (t2 - t1), account, release, then work
# 100 * arg iterations outside the lock.  An acquisition is "contended" when the
# first exchange found the lock taken; only contended ones have a wait
# (t1 - t0), as in Linux's lock_stat.  All accounting happens while the lock is
# held, so every block and the ring have one writer at a time.
#
# Lock statistics at 0x200000 (manifest: lock-stats; u64 little endian):
#   +0   magic "LOCKSTAT" (written by vCPU 0 after the rest of the header)
#   +8   vcpus   +16 ring capacity (4096)   +24 ring entries written
#   +32  critical-section iterations        +40 TSC kHz
#   +48  shared counter (manifest: counter)  +56 TSC at the newest acquisition (any vCPU)
#   +64  the lock word (u32, own cache line)
# vCPU i's block at 0x201000 + i * 0x1000:
#   +0 acquisitions  +8 contended  +16 hold cycles  +24 wait cycles  +32 max hold  +40 max wait
#   +64 hold histogram, +0x440 wait histogram: 128 u64 buckets each (bucket below)
# Ring of contended acquisitions at 0x241000: 32-byte entries
#   {tsc at acquisition, wait cycles, hold cycles, vCPU index}; entry n in slot n % 4096,
#   complete before +24 counts it.
# Histogram bucket of x cycles: x for x < 4; else with m = the index of x's top bit,
#   4 * (m - 1) + the two bits below the top one (4 buckets per power of two), at most 127.

        .code64
        .set STATS,       0x200000
        .set MAGIC,       0x5441545354434f4c  # "LOCKSTAT" as a little-endian u64
        .set OFF_VCPUS,   8
        .set OFF_CAP,     16
        .set OFF_WRITTEN, 24
        .set OFF_ITER,    32
        .set OFF_KHZ,     40
        .set COUNTER,     STATS + 48
        .set NEWEST,      STATS + 56          # the monitor's clock samples: stored before any read of it
        .set LOCK,        STATS + 64
        .set BLOCKS,      0x201000
        .set RING,        0x241000
        .set RING_CAP,    4096
        .set B_ACQ,       0
        .set B_CONT,      8
        .set B_HOLD,      16
        .set B_WAIT,      24
        .set B_MAXHOLD,   32
        .set B_MAXWAIT,   40
        .set B_HOLDHIST,  64
        .set B_WAITHIST,  0x440

        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        movq %rdi, %r14                     # critical-section iterations
        testq %r14, %r14
        jnz 1f
        movl $1, %r14d                      # at least one
1:      movq %rdx, %r12                     # this vCPU's index
        movq %rdx, %rbx
        shlq $12, %rbx
        addq $BLOCKS, %rbx                  # this vCPU's block
        testq %r12, %r12
        jnz round
        movq %rcx, STATS + OFF_VCPUS
        movq $RING_CAP, STATS + OFF_CAP
        movq %r14, STATS + OFF_ITER
        movq %rsi, STATS + OFF_KHZ
        movabsq $MAGIC, %rax
        movq %rax, STATS                    # magic last: the header is complete

round:
        rdtsc
        shlq $32, %rdx
        orq %rdx, %rax
        movq %rax, %r8                      # t0: wants the lock
        movl $1, %eax
        xchgl %eax, LOCK
        testl %eax, %eax
        jz uncontended
spin:
        pause                               # the spin-wait hint that pause-loop exiting watches
        cmpl $0, LOCK
        jne spin
        movl $1, %eax
        xchgl %eax, LOCK
        testl %eax, %eax
        jnz spin
        rdtsc
        shlq $32, %rdx
        orq %rdx, %rax
        movq %rax, %r9                      # t1: acquired
        movq %rax, %r10
        subq %r8, %r10                      # wait
        movl $1, %r15d
        jmp held
uncontended:
        rdtsc
        shlq $32, %rdx
        orq %rdx, %rax
        movq %rax, %r9
        xorl %r10d, %r10d
        xorl %r15d, %r15d

held:
        movq %r9, NEWEST
        movq %r14, %rcx
2:      incq COUNTER
        decq %rcx
        jnz 2b
        rdtsc
        shlq $32, %rdx
        orq %rdx, %rax
        movq %rax, %r11
        subq %r9, %r11                      # hold

        incq B_ACQ(%rbx)
        addq %r11, B_HOLD(%rbx)
        cmpq B_MAXHOLD(%rbx), %r11
        jbe 3f
        movq %r11, B_MAXHOLD(%rbx)
3:      movq %r11, %rax
        call bucket
        incq B_HOLDHIST(%rbx,%rax,8)
        testl %r15d, %r15d
        jz release
        incq B_CONT(%rbx)
        addq %r10, B_WAIT(%rbx)
        cmpq B_MAXWAIT(%rbx), %r10
        jbe 4f
        movq %r10, B_MAXWAIT(%rbx)
4:      movq %r10, %rax
        call bucket
        incq B_WAITHIST(%rbx,%rax,8)
        movq STATS + OFF_WRITTEN, %rax      # the ring entry, then the count
        andq $(RING_CAP - 1), %rax
        shlq $5, %rax
        addq $RING, %rax
        movq %r9, (%rax)
        movq %r10, 8(%rax)
        movq %r11, 16(%rax)
        movq %r12, 24(%rax)
        incq STATS + OFF_WRITTEN

release:
        movl $0, LOCK                       # a plain store releases on x86
        imulq $100, %r14, %rcx              # work outside the lock
5:      decq %rcx
        jnz 5b
        jmp round

# bucket: %rax = histogram bucket of %rax cycles (see the header).  Clobbers %rcx, %rdx.
bucket:
        cmpq $4, %rax
        jb 6f
        bsrq %rax, %rcx
        movq %rcx, %rdx
        subl $2, %ecx
        shrq %cl, %rax
        andl $3, %eax
        leaq -4(%rax,%rdx,4), %rax
        cmpq $127, %rax
        jbe 6f
        movl $127, %eax
6:      ret
