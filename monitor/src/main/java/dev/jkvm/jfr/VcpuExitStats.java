package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** Periodic per vCPU and exit reason: counts and the distribution of the monitor's handling time. */
@Name("jkvm.VcpuExitStats")
@Label("vCPU Exit Statistics")
@Description("Per vCPU and exit reason: exits so far and a histogram of the time the monitor took to handle them")
@Category({"jkvm", "Exits"})
@StackTrace(false)
@Period("1 s")
public final class VcpuExitStats extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("vCPU") @Description("The vCPU index")
    public int vcpu;

    @Label("Reason") @Description("The KVM exit reason")
    public String reason;

    @Label("Count") @Description("Exits with this reason since the VM started")
    public long count;

    @Label("Under 1 µs") @Description("Exits handled in under 1.024 µs")
    public long under1us;

    @Label("Under 8 µs") @Description("Exits handled in under 8.192 µs (power-of-two bucket)")
    public long under8us;

    @Label("Under 64 µs") @Description("Exits handled in under 65.536 µs (power-of-two bucket)")
    public long under64us;

    @Label("Under 1 ms") @Description("Exits handled in under 1.048576 ms (power-of-two bucket)")
    public long under1ms;

    @Timespan(Timespan.NANOSECONDS) @Label("Mean Handling Time") @Description("Mean time from KVM_RUN's return to the next KVM_RUN")
    public long mean;

    @Timespan(Timespan.NANOSECONDS) @Label("p99 Handling Time") @Description("Upper bound of the power-of-two bucket holding the 99th percentile, at most the maximum")
    public long p99;

    @Timespan(Timespan.NANOSECONDS) @Label("Max Handling Time") @Description("Longest handling time")
    public long max;
}
