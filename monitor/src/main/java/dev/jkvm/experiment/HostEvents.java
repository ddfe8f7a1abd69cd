package dev.jkvm.experiment;

import dev.jkvm.host.HostFacts;
import dev.jkvm.host.RunHygiene;
import dev.jkvm.jfr.Host;
import dev.jkvm.jfr.RunHygieneEvent;
import jdk.jfr.FlightRecorder;

/** Commits the host's events: which machine the run happened on (jkvm.Host) and whether it was fit (jkvm.RunHygiene). */
final class HostEvents {
    private HostEvents() {}

    static void host(HostFacts f, int pinnedCpu) {
        Host e = new Host();
        if (!e.shouldCommit()) return;
        e.kernelRelease = f.kernelRelease();
        e.kernelCommandLine = f.kernelCommandLine();
        e.cpuVendor = f.cpuVendor();
        e.cpuModel = f.cpuModel();
        e.microcode = f.microcode();
        e.vendorModule = f.vendorModule();
        e.vendorKind = f.vendorKind();
        e.kvmParameters = f.kvmParameters();
        e.smt = f.smt();
        e.cpu = pinnedCpu;
        e.governor = f.governor();
        e.frequencyRange = f.frequencyRange();
        e.isolatedCpus = f.isolatedCpus();
        e.nohzFull = f.nohzFull();
        e.transparentHugepages = f.transparentHugepages();
        e.jkvmVersion = f.jkvmVersion();
        e.jdkVersion = f.jdkVersion();
        e.commit();
    }

    static void hygiene(RunHygiene h) {
        if (!FlightRecorder.isInitialized()) return; // no --jfr: creating the event would initialize JFR for nothing
        RunHygieneEvent e = new RunHygieneEvent();
        if (!e.shouldCommit()) return;
        e.cpu = h.cpu();
        e.windowStartNanos = h.windowStart();
        e.windowEndNanos = h.windowEnd();
        e.foreignTime = h.foreignNanos();
        e.foreignFraction = h.foreignFraction();
        e.vcpuRunTime = h.vcpuRunNanos();
        e.stealTime = h.stealNanos();
        e.monitorCpus = h.monitorCpus();
        e.monitorStealTime = h.monitorStealNanos();
        e.siblingCpus = h.siblingCpus();
        e.siblingLoad = h.siblingBusyFraction();
        e.frequencySamples = h.frequencySamples();
        e.frequencyChanges = h.frequencyChanges();
        e.minFrequency = h.minFrequencyKHz() < 0 ? -1 : h.minFrequencyKHz() * 1000;
        e.maxFrequency = h.maxFrequencyKHz() < 0 ? -1 : h.maxFrequencyKHz() * 1000;
        e.commit();
    }
}
