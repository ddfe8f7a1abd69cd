package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Frequency;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Percentage;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

@Name("jkvm.RunHygiene")
@Label("Run Hygiene")
@Description("End of run: whether the experiment CPU was the VMs' alone: other tasks' time on it (/proc/stat minus the vCPU threads' schedstat), its SMT sibling's load, its frequency")
@Category({"jkvm", "Host"})
@StackTrace(false)
public final class RunHygieneEvent extends jdk.jfr.Event {
    @Label("Experiment CPU") @Description("The CPU the vCPU threads were pinned to")
    public int cpu;

    @Label("Window Start") @Description("Start of the measurement, CLOCK_MONOTONIC nanoseconds: just before the start gate opened")
    public long windowStartNanos;

    @Label("Window End") @Description("End of the measurement, CLOCK_MONOTONIC nanoseconds: after every vCPU thread ended")
    public long windowEndNanos;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Foreign Time") @Description("Busy time of the experiment CPU (window minus idle, iowait and steal) minus the vCPU threads' run time")
    public long foreignTime;

    @Percentage
    @Label("Foreign Fraction") @Description("Foreign time over the window")
    public double foreignFraction;

    @Timespan(Timespan.NANOSECONDS)
    @Label("vCPU Run Time") @Description("The vCPU threads' run time in the window (schedstat)")
    public long vcpuRunTime;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Steal Time") @Description("Time the hypervisor below took the experiment CPU away (/proc/stat steal)")
    public long stealTime;

    @Label("Monitor CPUs") @Description("The CPUs jkvm's own threads ran on, the recorder among them")
    public String monitorCpus;

    @Timespan(Timespan.NANOSECONDS)
    @Label("Monitor Steal Time") @Description("Time the hypervisor below took the monitor's CPUs away, summed over them (/proc/stat steal; -1 unknown): the recorder's commits wait for it")
    public long monitorStealTime;

    @Label("SMT Siblings") @Description("The experiment CPU's SMT siblings, or none")
    public String siblingCpus;

    @Percentage
    @Label("Sibling Load") @Description("The busiest SMT sibling's busy time over the window; -1 without a sibling")
    public double siblingLoad;

    @Label("Frequency Samples") @Description("How often scaling_cur_freq of the experiment CPU was read (0: not exposed)")
    public int frequencySamples;

    @Label("Frequency Changes") @Description("How often the sampled frequency changed; -1 when not exposed")
    public int frequencyChanges;

    @Frequency
    @Label("Minimum Frequency") @Description("Lowest sampled frequency in Hz; -1 when not exposed")
    public long minFrequency;

    @Frequency
    @Label("Maximum Frequency") @Description("Highest sampled frequency in Hz; -1 when not exposed")
    public long maxFrequency;
}
