package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

@Name("jkvm.KvmSchedIn")
@Label("KVM Sched In")
@Description("The kernel's preempt notifier kvm_sched_in ran for a vCPU thread (kprobe; KVM reloads the vCPU here)")
@Category({"jkvm", "Kernel Ground Truth"})
@StackTrace(false)
public final class KvmSchedIn extends jdk.jfr.Event {
    @Label("VM") @Description("The VM of the vCPU thread the probe hit in (empty if the thread is not one of ours)")
    public String vm;

    @Label("vCPU") @Description("The vCPU index, or -1")
    public int vcpu;

    @Label("Thread ID") @Description("Kernel thread id the probe hit in")
    public int tid;

    @Label("CPU") @Description("The CPU the probe hit on")
    public int cpu;

    @Label("Monotonic Nanoseconds") @Description("The event's start time as the kernel stamped it: raw CLOCK_MONOTONIC nanoseconds (System.nanoTime's clock)")
    public long monotonicNanos;
}
