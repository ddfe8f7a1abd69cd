package dev.jkvm.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

@Name("jkvm.Host")
@Label("Host")
@Description("The machine the run happened on, as far as it changes scheduling and exits; written once at the start of the recording")
@Category({"jkvm", "Host"})
@StackTrace(false)
public final class Host extends jdk.jfr.Event {
    @Label("Kernel Release") @Description("uname -r")
    public String kernelRelease;

    @Label("Kernel Command Line") @Description("/proc/cmdline")
    public String kernelCommandLine;

    @Label("CPU Vendor") @Description("vendor_id of /proc/cpuinfo")
    public String cpuVendor;

    @Label("CPU Model") @Description("model name of /proc/cpuinfo")
    public String cpuModel;

    @Label("Microcode") @Description("Microcode revision of the experiment CPU (/proc/cpuinfo)")
    public String microcode;

    @Label("KVM Vendor Module") @Description("kvm_intel, kvm_amd or another (e.g. kvm_pvm), from /sys/module")
    public String vendorModule;

    @Label("KVM Vendor Kind") @Description("kvm_intel, kvm_amd, other or none")
    public String vendorKind;

    @Label("KVM Parameters") @Description("Module parameters that change exits or scheduling (halt polling, pause-loop exiting, APICv/AVIC, EPT/NPT, nested), module.name=value")
    public String kvmParameters;

    @Label("SMT") @Description("/sys/devices/system/cpu/smt/control: on, off, forceoff, notsupported")
    public String smt;

    @Label("Experiment CPU") @Description("The CPU the vCPU threads are pinned to (whose governor and frequency range are reported), -1 when not pinned (CPU 0 is reported)")
    public int cpu;

    @Label("Governor") @Description("cpufreq scaling governor of the experiment CPU, or 'not exposed'")
    public String governor;

    @Label("Frequency Range") @Description("cpufreq scaling range of the experiment CPU in MHz, or 'not exposed'")
    public String frequencyRange;

    @Label("Isolated CPUs") @Description("/sys/devices/system/cpu/isolated (isolcpus=)")
    public String isolatedCpus;

    @Label("nohz_full CPUs") @Description("/sys/devices/system/cpu/nohz_full")
    public String nohzFull;

    @Label("Transparent Huge Pages") @Description("/sys/kernel/mm/transparent_hugepage/enabled")
    public String transparentHugepages;

    @Label("jkvm Version") @Description("The jkvm version that recorded the run")
    public String jkvmVersion;

    @Label("JDK Version") @Description("The Java runtime jkvm ran on")
    public String jdkVersion;
}
