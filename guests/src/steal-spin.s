# steal-spin.s - spin with KVM steal-time accounting switched on.
#
# Registers a struct kvm_steal_time at 0x201000 through MSR_KVM_STEAL_TIME, then
# increments the u64 at 0x200000 forever.  KVM then updates the struct on every
# vCPU entry: .steal (u64 at +0) is the nanoseconds the vCPU thread was runnable
# but not running on the host, .version (u32 at +4) is odd while KVM writes, so a
# reader retries until it sees the same even version before and after.
#
# The MSR exists only if the monitor exposes the KVM paravirt CPUID leaves
# (0x40000000 signature "KVMKVMKVM\0\0\0", 0x40000001 EAX bit 5
# KVM_FEATURE_STEAL_TIME).  The guest checks for them first, like Linux does:
# without them it prints why on COM1 and writes 1 to port 0xF4 (exit status 3)
# instead of risking a #GP (which, with no IDT, would be a triple fault).

        .code64
        .set COUNTER,              0x200000
        .set STEAL_TIME,           0x201000     # 64-byte aligned, as KVM requires
        .set MSR_KVM_STEAL_TIME,   0x4b564d03
        .set KVM_MSR_ENABLED,      1
        .set KVM_CPUID_SIGNATURE,  0x40000000
        .set KVM_CPUID_FEATURES,   0x40000001
        .set KVM_FEATURE_STEAL_TIME, 5
        .set DEBUG_EXIT_PORT,      0xf4

        .section .text.entry, "ax"
        .globl _start
_start:
        cli
        movl $KVM_CPUID_SIGNATURE, %eax
        cpuid                           # EBX,ECX,EDX = "KVMK" "VMKV" "M\0\0\0"
        cmpl $0x4b4d564b, %ebx
        jne no_steal_time
        cmpl $0x564b4d56, %ecx
        jne no_steal_time
        cmpl $0x0000004d, %edx
        jne no_steal_time
        cmpl $KVM_CPUID_FEATURES, %eax  # EAX = highest KVM leaf
        jb no_steal_time
        movl $KVM_CPUID_FEATURES, %eax
        cpuid
        btl $KVM_FEATURE_STEAL_TIME, %eax
        jnc no_steal_time

        movl $MSR_KVM_STEAL_TIME, %ecx
        movl $(STEAL_TIME | KVM_MSR_ENABLED), %eax
        xorl %edx, %edx                 # high half of the guest-physical address
        wrmsr

        movl $COUNTER, %ebx
        movq $0, (%rbx)
1:      incq (%rbx)
        jmp 1b

no_steal_time:
        leaq msg(%rip), %rsi
        call com1_puts
        movl $1, %eax
        movw $DEBUG_EXIT_PORT, %dx
        outl %eax, %dx                  # value 1: exit status 3
2:      cli
        hlt
        jmp 2b

        .section .rodata
msg:    .asciz "steal-spin: KVM steal time not offered in CPUID (leaves 0x40000000/0x40000001)\n"
