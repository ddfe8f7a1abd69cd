package dev.jkvm.sched;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.ObjectName;

/**
 * Test-side record of this JVM's safepoints and handshakes, written by HotSpot's unified logging
 * (switched on and off at run time, as {@code jcmd VM.log} does). A Java thread that leaves a wait or
 * a native call while one is in progress sleeps until it ends, so a vCPU thread's sleep on its way to
 * KVM_RUN can be matched with them. The stamps are CLOCK_MONOTONIC, tracefs's mono clock.
 */
final class JvmPauses {
    /** One safepoint or handshake: when it began and ended (monotonic ns) and HotSpot's line. */
    record Pause(long startNanos, long endNanos, String line) {}

    // "[36489981961410ns][12926] Safepoint "G1CollectFull", ..., Total: 105118500 ns, Threads: ..."
    // "[35723504250680ns][30367] Handshake "Deoptimize", ..., Total completion time: 30657 ns"
    private static final Pattern LINE = Pattern.compile("^\\[(\\d+)ns\\]\\[\\d+\\]\\s+((?:Safepoint|Handshake) .*Total(?: completion time)?: (\\d+) ns.*)$");

    private final Path file;

    private JvmPauses(Path file) {
        this.file = file;
    }

    static JvmPauses start(Path file) throws JMException {
        vmLog("output=" + file, "what=safepoint=info,handshake=info", "decorators=timenanos,tid");
        return new JvmPauses(file);
    }

    /** Stops logging and reads what was logged, in the log's order (by end). */
    List<Pause> stop() throws JMException, IOException {
        vmLog("output=" + file, "what=all=off");
        List<Pause> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        for (String line : Files.readAllLines(file)) {
            Matcher m = LINE.matcher(line);
            if (!m.find()) continue;
            long end = Long.parseLong(m.group(1));
            out.add(new Pause(end - Long.parseLong(m.group(3)), end, m.group(2)));
        }
        return out;
    }

    private static void vmLog(String... args) throws JMException {
        ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmLog",
                new Object[] {args}, new String[] {String[].class.getName()});
    }
}
