package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;

@Name("jkvm.KvmStats")
@Label("KVM Statistic")
@Description("One of KVM's binary statistics (KVM_GET_STATS_FD) of a VM or vCPU that changed since its previous sample; "
        + "statistics that did not change are not written")
@Category({"jkvm", "KVM"})
@StackTrace(false)
@Period("1 s")
public final class KvmStats extends jdk.jfr.Event {
    @Label("VM") @Description("The VM")
    public String vm;

    @Label("Scope") @Description("vm, or vcpuN")
    public String scope;

    @Label("Statistic") @Description("KVM's name for it, e.g. exits, halt_exits, preemption_reported")
    public String name;

    @Label("Value") @Description("Its value (first element for arrays)")
    public long value;

    @Label("Change") @Description("Value minus its value at the previous sample (the first sample counts from zero)")
    public long delta;

    @Label("Unit") @Description("KVM's unit: none, bytes, seconds (with base exponent), cycles, boolean")
    public String unit;

    @Label("Kind") @Description("cumulative, instant, peak, linear histogram or log histogram")
    public String kind;
}
