package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("jkvm.VmEnd")
@Label("VM End")
@Description("A VM's guest ended: halted, exited with a status, faulted, or was stopped")
@Category({"jkvm", "Lifecycle"})
@StackTrace(false)
public final class VmEnd extends jdk.jfr.Event {
    @Label("VM") @Description("The VM's name")
    public String vm;

    @Label("Guest") @Description("The guest's name")
    public String guest;

    @Label("Result") @Description("How the guest ended, in words")
    public String result;

    @Label("Clean") @Description("True for halted, status 0, or stopped by the run's duration")
    public boolean clean;

    @Label("Exit Status") @Description("The status written to the debug-exit port, or -1")
    public long exitStatus;

    @Label("Exits") @Description("VM exits the monitor handled")
    public long exits;

    @Timespan(Timespan.NANOSECONDS) @Label("Run Time") @Description("From the first KVM_RUN to the end")
    public long runTime;

    @Label("Progress Counter") @Description("The guest's progress counter at the end, or -1 if it has none")
    public long progress;
}
