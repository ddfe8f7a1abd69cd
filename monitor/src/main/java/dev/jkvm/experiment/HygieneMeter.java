package dev.jkvm.experiment;

import dev.jkvm.host.CpuTimes;
import dev.jkvm.host.HostFiles;
import dev.jkvm.host.RunHygiene;
import dev.jkvm.sched.CpuPlacement;
import java.util.BitSet;
import java.util.Map;

/**
 * Measures {@link RunHygiene} over a run: /proc/stat of the experiment CPU and its SMT siblings and
 * the vCPU threads' run times when the gate opens and after the threads ended, and the experiment
 * CPU's scaling_cur_freq at each {@link #sample}. Reads a few small files; nothing on the vCPU threads.
 */
final class HygieneMeter {
    private final HostFiles files;
    private final int cpu;
    private final BitSet siblings;
    private final long startNanos;
    private final Map<Integer, CpuTimes> startTimes;
    private final long vcpuRunAtStart;
    private final String freqFile;
    /** The monitor's CPUs (where the recorder runs), whose steal time is measured too. */
    private final BitSet monitorCpus;
    private int freqSamples, freqChanges;
    private long lastFreq = -1, minFreq = Long.MAX_VALUE, maxFreq = -1;

    HygieneMeter(HostFiles files, int cpu, long vcpuRunAtStart, BitSet monitorCpus) {
        this.files = files;
        this.cpu = cpu;
        this.monitorCpus = (BitSet) monitorCpus.clone();
        this.siblings = CpuPlacement.parseList(files.read("/sys/devices/system/cpu/cpu" + cpu + "/topology/thread_siblings_list")
                .orElse("").strip());
        siblings.clear(cpu);
        this.freqFile = "/sys/devices/system/cpu/cpu" + cpu + "/cpufreq/scaling_cur_freq";
        this.vcpuRunAtStart = vcpuRunAtStart;
        this.startTimes = CpuTimes.parse(files.read("/proc/stat").orElse(""));
        this.startNanos = System.nanoTime();
        sample();
    }

    /**
     * Starts measuring on {@code cpu}, whose vCPU threads (alive, not yet released) have run
     * {@code vcpuRunAtStart} ns in all so far (each read its own when it reached the gate: reading 256
     * threads' schedstat files here took 0.13-0.22 s of the set-up);
     * {@code monitorCpus} are where jkvm's own threads run (their steal time is measured as well).
     */
    static HygieneMeter begin(int cpu, long vcpuRunAtStart, BitSet monitorCpus) {
        return new HygieneMeter(HostFiles.live(), cpu, vcpuRunAtStart, monitorCpus);
    }

    /** Samples the experiment CPU's current frequency, when the machine exposes it. */
    void sample() {
        HostFiles f = files;
        long khz = f.read(freqFile).map(s -> {
            try {
                return Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                return -1L;
            }
        }).orElse(-1L);
        if (khz < 0) return;
        freqSamples++;
        if (lastFreq >= 0 && khz != lastFreq) freqChanges++;
        lastFreq = khz;
        minFreq = Math.min(minFreq, khz);
        maxFreq = Math.max(maxFreq, khz);
    }

    /**
     * Ends the measurement once every vCPU thread has ended; {@code vcpuRunAtEnd} is the sum of their
     * run times as each read its own when it left its loop. Null when /proc/stat has no line for the CPU.
     */
    RunHygiene end(long vcpuRunAtEnd) {
        sample();
        Map<Integer, CpuTimes> endTimes = CpuTimes.parse(files.read("/proc/stat").orElse(""));
        long endNanos = System.nanoTime();
        long wall = endNanos - startNanos;
        CpuTimes a = startTimes.get(cpu), b = endTimes.get(cpu);
        if (a == null || b == null) return null;
        long busy = wall - (b.notRunningNanos() - a.notRunningNanos());
        long vcpuRun = Math.max(0, vcpuRunAtEnd - vcpuRunAtStart);
        double siblingBusy = -1;
        for (int s = siblings.nextSetBit(0); s >= 0; s = siblings.nextSetBit(s + 1)) {
            CpuTimes sa = startTimes.get(s), sb = endTimes.get(s);
            if (sa == null || sb == null || wall <= 0) continue;
            double f = Math.clamp((wall - (sb.notRunningNanos() - sa.notRunningNanos())) / (double) wall, 0.0, 1.0);
            siblingBusy = Math.max(siblingBusy, f);
        }
        long monitorSteal = monitorCpus.isEmpty() ? -1 : 0;
        for (int m = monitorCpus.nextSetBit(0); m >= 0 && monitorSteal >= 0; m = monitorCpus.nextSetBit(m + 1)) {
            CpuTimes ma = startTimes.get(m), mb = endTimes.get(m);
            monitorSteal = ma == null || mb == null ? -1 : monitorSteal + mb.steal() - ma.steal();
        }
        return new RunHygiene(cpu, startNanos, endNanos, Math.max(0, busy - vcpuRun), vcpuRun, b.steal() - a.steal(),
                siblings.isEmpty() ? "none" : CpuPlacement.formatList(siblings), siblingBusy, freqSamples,
                freqSamples == 0 ? -1 : freqChanges, freqSamples == 0 ? -1 : minFreq, freqSamples == 0 ? -1 : maxFreq,
                monitorCpus.isEmpty() ? "none" : CpuPlacement.formatList(monitorCpus), monitorSteal);
    }
}
