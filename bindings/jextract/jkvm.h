/*
 * jkvm.h - the C declarations jkvm binds through jextract.
 *
 * This header is the single source of truth for the generated package
 * dev.jkvm.bindings.generated: bindings/jextract/regenerate.sh feeds it to jextract
 * (filtered by includes.txt), and LayoutConformanceTest compiles it with gcc to check
 * every generated size, offset and constant against the C compiler.
 */
#ifndef JKVM_H
#define JKVM_H

/* Expose the GNU extensions of glibc: gettid(), cpu_set_t/sched_*affinity, MAP_ANONYMOUS,
 * O_CLOEXEC and syscall() are declared only under _GNU_SOURCE. Must precede every include. */
#define _GNU_SOURCE

/* The KVM API: ioctl numbers (KVM_*), exit reasons (KVM_EXIT_*), capabilities (KVM_CAP_*),
 * struct kvm_run and its unions, kvm_regs/kvm_sregs/kvm_segment/kvm_dtable, memory regions,
 * CPUID and MSR arrays, the in-kernel irqchip and PIT (KVM_CREATE_IRQCHIP, KVM_IRQ_LINE with
 * kvm_irq_level, KVM_CREATE_PIT2 with kvm_pit_config), and the binary statistics
 * header/descriptors (KVM_GET_STATS_FD). */
#include <linux/kvm.h>

/* KVM paravirtual interface (pulls in asm/kvm_para.h): KVM_CPUID_SIGNATURE/FEATURES,
 * KVM_FEATURE_STEAL_TIME, MSR_KVM_STEAL_TIME, KVM_MSR_ENABLED, KVM_VCPU_PREEMPTED and
 * struct kvm_steal_time, for reading steal time the way a guest would. */
#include <linux/kvm_para.h>

/* perf_event_open(2): perf_event_attr, the mmap ring buffer page and record header,
 * PERF_TYPE_*, PERF_COUNT_SW_*, PERF_SAMPLE_*, PERF_RECORD_* (context-switch records)
 * and the PERF_EVENT_IOC_* ioctls. */
#include <linux/perf_event.h>

/* ioctl(2), the call through which every KVM and perf request is made. */
#include <sys/ioctl.h>

/* mmap(2)/munmap(2) with PROT_* and MAP_*: guest memory, the kvm_run page, perf buffers. */
#include <sys/mman.h>

/* open(2) and the O_* flags, for /dev/kvm. */
#include <fcntl.h>

/* read(2), write(2), close(2) and gettid(2). */
#include <unistd.h>

/* sched_setaffinity(2)/sched_getaffinity(2) and cpu_set_t, to pin vCPU threads. */
#include <sched.h>

/* SYS_* syscall numbers (SYS_gettid, SYS_perf_event_open) for syscall(2);
 * perf_event_open has no glibc wrapper. */
#include <sys/syscall.h>

/* The E* errno values, to decode failures. */
#include <errno.h>

/* strerror(3), to render errno values as text. */
#include <string.h>

/* prctl(2) with PR_SET_NAME/PR_GET_NAME, to name vCPU threads as seen by the kernel/perf. */
#include <sys/prctl.h>

/* SIGPIPE: the signal that kicks a vCPU thread out of KVM_RUN. The JVM installs a handler for
 * it that does nothing, so it interrupts the ioctl (EINTR) without ending the process. */
#include <signal.h>

/* setpriority(2) with PRIO_PROCESS: on Linux, given a TID it sets that one thread's nice value,
 * which is how experiments give VMs unequal CFS weights. */
#include <sys/resource.h>

/* poll(2), struct pollfd and POLLIN, to wait on perf ring buffers and event fds. */
#include <poll.h>

/* clock_gettime(2), struct timespec and CLOCK_MONOTONIC, for timestamps comparable with perf's. */
#include <time.h>

#endif /* JKVM_H */
