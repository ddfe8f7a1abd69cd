package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

@Name("jkvm.VcpuLoad")
@Label("vCPU Load")
@Description("KVM loaded a vCPU's state on a CPU: kvm_arch_vcpu_load, or the vendor load (vmx_vcpu_load_vmcs/vmx_vcpu_load,"
        + " where VMPTRLD happens, or svm_vcpu_load) (kprobe)")
@Category({"jkvm", "Kernel Ground Truth"})
@StackTrace(false)
public final class VcpuLoad extends jdk.jfr.Event {
    @Label("Function") @Description("The probed kernel function")
    public String function;

    @Label("VM") @Description("The VM of the vCPU thread the probe hit in (empty if not ours)")
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
