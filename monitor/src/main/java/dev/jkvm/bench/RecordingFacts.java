package dev.jkvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * What the scale and recording benchmarks read back from a run's recording, streamed event by event
 * (a 256-VM recording need not fit the heap): switches, each vCPU's first sched-in and time on CPU,
 * the recorder's own summary, and how many events the KVM statistics took.
 */
record RecordingFacts(long bytes, long schedIns, long kvmStatsEvents, long lostRecords, long perfLostEvents,
                      long lagP50, long lagP99, long lagMax, long stopLagP99, long monitorStealNanos, Map<String, Long> firstSchedIn, Map<String, Long> onCpu) {

    static RecordingFacts read(Path jfr) throws IOException {
        long schedIns = 0, kvmStats = 0, lost = 0, perfLost = 0, p50 = -1, p99 = -1, max = -1, stopP99 = -1, monitorSteal = -1;
        Map<String, Long> first = new HashMap<>();
        Map<String, Long> onCpu = new HashMap<>();
        try (RecordingFile f = new RecordingFile(jfr)) {
            while (f.hasMoreEvents()) {
                RecordedEvent e = f.readEvent();
                switch (e.getEventType().getName()) {
                    case "jkvm.VcpuSchedIn" -> {
                        schedIns++;
                        first.merge(e.getString("vm"), e.getLong("monotonicNanos"), Math::min); // CLOCK_MONOTONIC, as System.nanoTime
                    }
                    case "jkvm.KvmStats" -> kvmStats++;
                    case "jkvm.RunHygiene" -> monitorSteal = e.getLong("monitorStealTime");
                    case "jkvm.PerfRecordsLost" -> perfLost += e.getLong("lost");
                    case "jkvm.VcpuSwitchSummary" -> onCpu.merge(e.getString("vm"), e.getLong("onCpu"), Long::sum);
                    case "jkvm.RecorderSummary" -> {
                        lost += e.getLong("lostRecords");
                        p50 = Math.max(p50, e.getLong("lagP50"));
                        p99 = Math.max(p99, e.getLong("lagP99"));
                        max = Math.max(max, e.getLong("lagMax"));
                        stopP99 = Math.max(stopP99, e.getLong("stopLagP99"));
                    }
                    default -> { }
                }
            }
        }
        return new RecordingFacts(Files.size(jfr), schedIns, kvmStats, lost, perfLost, p50, p99, max, stopP99, monitorSteal, first, onCpu);
    }

    /** Recording bytes per sched-in (one sched-in is one switch to a vCPU). */
    double bytesPerSwitch() {
        return schedIns == 0 ? Double.NaN : (double) bytes / schedIns;
    }
}
