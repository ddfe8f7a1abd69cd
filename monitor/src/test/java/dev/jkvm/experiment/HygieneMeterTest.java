package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jkvm.host.HostFiles;
import dev.jkvm.host.RunHygiene;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The run hygiene's steal times from two /proc/stat snapshots (captured text, fed through HostFiles):
 * the experiment CPU's own, and the monitor's CPUs' summed, where the recorder runs.
 */
class HygieneMeterTest {
    /** /proc/stat with each CPU's steal (8th counter, in USER_HZ ticks) as given; the other counters fixed. */
    private static String procStat(long... steal) {
        StringBuilder s = new StringBuilder("cpu  1 2 3 4 5 6 7 8 0 0\n");
        for (int c = 0; c < steal.length; c++) s.append("cpu").append(c).append(" 100 0 50 1000 0 0 0 ").append(steal[c]).append(" 0 0\n");
        return s.append("intr 0\n").toString();
    }

    private static final class Snapshots implements HostFiles {
        String stat;

        @Override
        public Optional<String> read(String path) {
            return path.equals("/proc/stat") ? Optional.of(stat) : Optional.empty();
        }

        @Override
        public List<String> list(String dir) {
            return List.of();
        }
    }

    @Test
    void stealOfTheExperimentCpuAndOfTheMonitorCpus() {
        Snapshots files = new Snapshots();
        files.stat = procStat(10, 20, 30);
        BitSet monitor = new BitSet();
        monitor.set(0);
        monitor.set(2);
        HygieneMeter meter = new HygieneMeter(files, 1, 0, monitor);
        files.stat = procStat(80, 25, 33);
        RunHygiene h = meter.end(0);
        assertEquals(5 * 10_000_000L, h.stealNanos(), "CPU 1: 5 ticks");
        assertEquals((70 + 3) * 10_000_000L, h.monitorStealNanos(), "CPUs 0 and 2: 70 + 3 ticks");
        assertEquals("0,2", h.monitorCpus());
    }

    @Test
    void unknownWhenAMonitorCpuHasNoLineOrThereIsNone() {
        Snapshots files = new Snapshots();
        files.stat = procStat(10, 20);
        BitSet monitor = new BitSet();
        monitor.set(0);
        monitor.set(5); // no line in /proc/stat
        HygieneMeter meter = new HygieneMeter(files, 1, 0, monitor);
        files.stat = procStat(12, 21);
        assertEquals(-1, meter.end(0).monitorStealNanos());
        HygieneMeter none = new HygieneMeter(files, 1, 0, new BitSet());
        RunHygiene h = none.end(0);
        assertEquals(-1, h.monitorStealNanos());
        assertEquals("none", h.monitorCpus());
    }
}
