package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

@Name("jkvm.KernelSchedSwitch")
@Label("Kernel Sched Switch")
@Description("The sched:sched_switch tracepoint on the experiment CPU: every task switch there, vCPU threads or not")
@Category({"jkvm", "Kernel Ground Truth"})
@StackTrace(false)
public final class KernelSchedSwitch extends jdk.jfr.Event {
    @Label("CPU") @Description("The CPU")
    public int cpu;

    @Label("Monotonic Nanoseconds") @Description("The event's start time as the kernel stamped it: raw CLOCK_MONOTONIC nanoseconds (System.nanoTime's clock)")
    public long monotonicNanos;

    @Label("Previous Thread ID") @Description("The task switched out")
    public int prevTid;

    @Label("Previous Command") @Description("Its comm name")
    public String prevComm;

    @Label("Previous State") @Description("Its state: R (preempted, still runnable), S, D, or another letter")
    public String prevState;

    @Label("Previous VM") @Description("Its VM if it is a vCPU thread, else empty")
    public String prevVm;

    @Label("Next Thread ID") @Description("The task switched in")
    public int nextTid;

    @Label("Next Command") @Description("Its comm name")
    public String nextComm;

    @Label("Next VM") @Description("Its VM if it is a vCPU thread, else empty")
    public String nextVm;
}
