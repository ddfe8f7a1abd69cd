package dev.jkvm.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether the experiment CPU belonged to the VMs during a run: how long other tasks ran on it, how
 * busy its SMT sibling was, and whether its frequency changed. Measured over {@code windowStart} →
 * {@code windowEnd} (System.nanoTime, CLOCK_MONOTONIC): from just before the start gate opened to
 * after every vCPU thread ended.
 *
 * @param foreignNanos        the CPU's busy time (the window minus idle, iowait and steal in /proc/stat)
 *                            minus the vCPU threads' run time (their schedstat): other tasks, jkvm's
 *                            strays and interrupts; 0 at least
 * @param stealNanos          time the hypervisor below took the CPU away (/proc/stat steal)
 * @param siblingCpus         the experiment CPU's SMT siblings ("none" without SMT)
 * @param siblingBusyFraction the siblings' busy time over the window (the busiest one); -1 without a sibling
 * @param frequencyChanges    how often scaling_cur_freq changed between samples; -1 when not exposed
 * @param monitorCpus         the CPUs jkvm's own threads (the recorder among them) ran on ("none": unknown)
 * @param monitorStealNanos   time the hypervisor below took those CPUs away, summed over them (/proc/stat
 *                            steal); -1 when unknown. The recorder's commits wait for it: on a virtual
 *                            machine it explains commit lags that no JVM or jkvm measure can
 */
public record RunHygiene(
        int cpu,
        long windowStart,
        long windowEnd,
        long foreignNanos,
        long vcpuRunNanos,
        long stealNanos,
        String siblingCpus,
        double siblingBusyFraction,
        int frequencySamples,
        int frequencyChanges,
        long minFrequencyKHz,
        long maxFrequencyKHz,
        String monitorCpus,
        long monitorStealNanos) {

    /**
     * Other tasks on the experiment CPU beyond 1 % of the run: at 2 VMs sharing a CPU that is 2 % of
     * one VM's share, more than the 1/N ± 5 % fairness tests tolerate once it falls on one VM.
     */
    public static final double FOREIGN_WARN_FRACTION = 0.01;
    /** The SMT sibling busy beyond 5 %: it shares the core's execution units, caches and (on some CPUs) frequency. */
    public static final double SIBLING_WARN_FRACTION = 0.05;

    public long windowNanos() {
        return Math.max(0, windowEnd - windowStart);
    }

    public double foreignFraction() {
        return windowNanos() == 0 ? 0 : (double) foreignNanos / windowNanos();
    }

    /**
     * What exceeded its threshold, one phrase each; empty when the run was clean. Frequency changes are
     * recorded but not warned about: scaling_cur_freq of intel_pstate and amd-pstate is an average that
     * moves under any governor.
     */
    public List<String> exceeded() {
        List<String> bad = new ArrayList<>();
        if (foreignFraction() > FOREIGN_WARN_FRACTION) {
            bad.add(String.format(Locale.ROOT, "foreign tasks ran %.1f %% of the run on CPU %d (threshold %.0f %%)",
                    100 * foreignFraction(), cpu, 100 * FOREIGN_WARN_FRACTION));
        }
        if (siblingBusyFraction > SIBLING_WARN_FRACTION) {
            bad.add(String.format(Locale.ROOT, "its SMT sibling CPU %s was busy %.1f %% (threshold %.0f %%)", siblingCpus,
                    100 * siblingBusyFraction, 100 * SIBLING_WARN_FRACTION));
        }
        return bad;
    }

    /** The one line `jkvm run` prints at the end: a warning naming what exceeded its threshold, or the measurements. */
    public String line() {
        List<String> bad = exceeded();
        if (!bad.isEmpty()) {
            return "jkvm: warning: the experiment CPU was not the VMs' alone: " + String.join("; ", bad)
                    + " (measure on an isolated CPU: jkvm check --runner)";
        }
        String sibling = siblingBusyFraction < 0 ? "no SMT sibling" : String.format(Locale.ROOT, "SMT sibling CPU %s busy %.1f %%",
                siblingCpus, 100 * siblingBusyFraction);
        String freq = frequencyChanges < 0 ? "frequency not exposed"
                : String.format(Locale.ROOT, "frequency %d–%d MHz, %d changes in %d samples", minFrequencyKHz / 1000, maxFrequencyKHz / 1000,
                        frequencyChanges, frequencySamples);
        return String.format(Locale.ROOT, "jkvm: run hygiene on CPU %d: foreign tasks %.2f %% of the run, %s, %s", cpu,
                100 * foreignFraction(), sibling, freq);
    }
}
