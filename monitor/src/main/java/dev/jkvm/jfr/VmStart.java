package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

@Name("jkvm.VmStart")
@Label("VM Start")
@Description("A VM's vCPU thread is placed and about to enter KVM_RUN for the first time")
@Category({"jkvm", "Lifecycle"})
@StackTrace(false)
public final class VmStart extends jdk.jfr.Event {
    @Label("VM") @Description("The VM's name")
    public String vm;

    @Label("Guest") @Description("The guest's name (built-in or image file)")
    public String guest;

    @Label("Mode") @Description("CPU mode at the first instruction: real, protected or long")
    public String mode;

    @DataAmount @Label("Memory") @Description("Guest RAM")
    public long memory;

    @Label("Thread ID") @Description("Kernel thread id of the vCPU thread")
    public int tid;

    @Label("Pinned CPU") @Description("The CPU the vCPU thread is pinned to, or -1 when not pinned")
    public int cpu;

    @Label("Nice") @Description("Nice value of the vCPU thread")
    public int nice;
}
