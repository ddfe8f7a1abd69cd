package dev.jkvm.experiment;

import dev.jkvm.devices.SerialSink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Watches a Linux guest's console (in front of its {@link dev.jkvm.devices.SerialConsole}) for the
 * built-in workload's ready and summary lines, and at each reads the host kernel's run-queue wait of
 * the vCPU thread ({@code /proc/thread-self/schedstat}, second field: time runnable but not running,
 * ns). The console is written from the vCPU thread itself (a port-I/O exit), so both reads are of
 * that thread, a few microseconds after the guest wrote the line. The difference is the host's
 * runnable wait over the workload, which KVM reports to the guest as steal time (KVM's steal time
 * is the same {@code sched_info.run_delay}), to be compared with the steal the guest read from its
 * /proc/stat over the same interval (printed on the summary line).
 */
final class LinuxWorkloadWatch implements SerialSink {
    private static final String READY = "jkvm-linux: ready";
    private static final Pattern SUMMARY = Pattern.compile("jkvm-linux: summary .*steal_ms=(\\d+)");
    private static final int MAX_LINE = 256;
    private static final Path SCHEDSTAT = Path.of("/proc/thread-self/schedstat");

    private final SerialSink next;
    private final StringBuilder line = new StringBuilder();
    private long waitAtReady = -1;
    private long waitAtSummary = -1;
    private long guestStealMs = -1;

    LinuxWorkloadWatch(SerialSink next) {
        this.next = next;
    }

    @Override
    public void write(byte b) {
        next.write(b);
        if (b == '\n') {
            onLine(line.toString());
            line.setLength(0);
        } else if (line.length() < MAX_LINE && b != '\r') {
            line.append((char) (b & 0xff));
        }
    }

    private void onLine(String text) {
        if (waitAtReady < 0 && text.startsWith(READY)) {
            waitAtReady = runQueueWaitNanos();
        } else if (waitAtReady >= 0 && waitAtSummary < 0) {
            Matcher m = SUMMARY.matcher(text);
            if (m.find()) {
                waitAtSummary = runQueueWaitNanos();
                guestStealMs = Long.parseLong(m.group(1));
            }
        }
    }

    /** The calling thread's run-queue wait so far (ns), or -1 when the kernel does not say (no schedstat). */
    static long runQueueWaitNanos() {
        try {
            String[] f = Files.readString(SCHEDSTAT, StandardCharsets.US_ASCII).trim().split("\\s+");
            return f.length >= 2 ? Long.parseLong(f[1]) : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Steal over the workload: the guest's (/proc/stat, ms) and the host's run-queue wait (ns); null before the summary. */
    LinuxSteal steal() {
        if (waitAtReady < 0 || waitAtSummary < 0) return null;
        return new LinuxSteal(guestStealMs, waitAtSummary - waitAtReady);
    }
}
