package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;
import jdk.jfr.Unsigned;

/** One VM exit; off by default (it can fire 100 000 times a second). Enable with the jkvm-full profile. */
@Name("jkvm.VmExit")
@Label("VM Exit")
@Description("One return from KVM_RUN to the monitor; the event's duration is the time from KVM_RUN's return to the end of its handling, the interval jkvm.VcpuExitStats times")
@Category({"jkvm", "Exits"})
@StackTrace(false)
@Enabled(false)
public final class VmExitEvent extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("vCPU") @Description("The vCPU index")
    public int vcpu;

    @Label("Reason") @Description("The KVM exit reason, e.g. IO, HLT, MMIO")
    public String reason;

    @Label("Port") @Description("The I/O port for IO exits, else -1")
    public int port;

    @Unsigned @jdk.jfr.MemoryAddress @Label("Address") @Description("The guest physical address for MMIO exits, else 0")
    public long address;

    @Timespan(Timespan.NANOSECONDS) @Label("Guest Time") @Description("Time inside KVM_RUN before this exit")
    public long guestTime;
}
