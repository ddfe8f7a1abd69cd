package dev.jkvm.util;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;

/** Which capabilities a process has in effect, from the CapEff line of its /proc/PID/status. */
public final class Capabilities {
    /** Lock memory beyond RLIMIT_MEMLOCK (perf rings included). */
    public static final int CAP_IPC_LOCK = 14;
    /** Together with CAP_SYS_RESOURCE, exempts a process from RLIMIT_NPROC. */
    public static final int CAP_SYS_ADMIN = 21;
    /** Exceed resource limits (RLIMIT_NPROC among them). */
    public static final int CAP_SYS_RESOURCE = 24;
    /** Lower a thread's nice below what RLIMIT_NICE allows. */
    public static final int CAP_SYS_NICE = 23;

    private Capabilities() {}

    /** Whether the effective set in the text of a /proc/PID/status file holds capability {@code bit}. */
    public static boolean effective(String status, int bit) {
        return status.lines().filter(l -> l.startsWith("CapEff:")).findFirst()
                .map(l -> new BigInteger(l.substring(7).strip(), 16).testBit(bit)).orElse(false);
    }

    /** Whether this process has capability {@code bit} in effect (false when /proc cannot tell). */
    public static boolean ofThisProcess(int bit) {
        try {
            return effective(KernelFile.read(Path.of("/proc/self/status")), bit);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
