package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** `jkvm run` and `jkvm check` end to end, in process, on real KVM. */
@Tag("kvm")
class RunCommandKvmTest {
    record Result(int code, String out, String err) {}

    static Result jkvm(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void runHelloStreamsThePrefixedLineAndExitsZero() {
        Result r = jkvm("run", "--no-sandbox", "--guest", "hello");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("vm0| Hello from jkvm (real mode)\n"), r.out());
        assertTrue(r.out().contains("vm0 halted"), r.out());
        assertTrue(r.out().contains("HLT 1"), r.out());
    }

    /** The launcher's archive counts as trained only after a run that ran guests (ArchiveTraining). */
    @Test
    void aRunThatRanGuestsMarksTheArchiveTrainedAndAUsageErrorDoesNot(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path marker = dir.resolve("jkvm.jsa.trained");
        System.setProperty(ArchiveTraining.PROPERTY, marker.toString());
        try {
            Result bad = jkvm("run", "--no-sandbox", "--guest", "no-such-guest");
            assertEquals(ExitCodes.USAGE, bad.code(), bad.err());
            assertTrue(!java.nio.file.Files.exists(marker), "a usage error marked the archive trained");
            Result r = jkvm("run", "--no-sandbox", "--guest", "hello");
            assertEquals(0, r.code(), r.err());
            assertTrue(java.nio.file.Files.exists(marker), "a run with a guest did not mark the archive trained");
        } finally {
            System.clearProperty(ArchiveTraining.PROPERTY);
        }
    }

    @Test
    void aFaultingGuestGivesExitCode4() {
        Result r = jkvm("run", "--no-sandbox", "--guest", "triple-fault", "--guest", "hello64");
        assertEquals(4, r.code());
        assertTrue(r.out().contains("vm0 faulted: SHUTDOWN"), r.out());
        assertTrue(r.out().contains("vm1| Hello from jkvm (long mode)"), r.out());
        assertTrue(r.out().contains("vm1 halted"), r.out());
    }

    /**
     * --nice below the thread's own needs CAP_SYS_NICE or RLIMIT_NICE: without them (setpriv drops the
     * capability, prlimit sets the limit to 0) a negative value is a usage error before any VM is made,
     * where the kernel's EACCES used to end the run as an internal error; raising a nice needs neither,
     * and with the capability (the test's own process, root) a negative value runs.
     */
    @Test
    void aNiceTheKernelWouldRefuseIsAUsageErrorBeforeAnyVmStarts(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.util.List<String> withoutSysNice = java.util.List.of("prlimit", "--nice=0:0", "setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice");
        try (dev.jkvm.testing.JkvmProcess p = dev.jkvm.testing.JkvmProcess.startUnder(dir, withoutSysNice,
                "run", "--no-sandbox", "--guest", "spin", "--vms", "2", "--duration", "200ms", "--nice", "vm0=5,vm1=-5")) {
            assertEquals(ExitCodes.USAGE, p.waitFor(60_000), p.out() + p.err());
            String text = (p.out() + p.err()).strip();
            assertEquals(1, text.lines().count(), text);
            assertTrue(text.startsWith("jkvm: --nice vm1=-5: this process may set nice 0 and above; lower needs CAP_SYS_NICE"), text);
        }
        try (dev.jkvm.testing.JkvmProcess p = dev.jkvm.testing.JkvmProcess.startUnder(dir, withoutSysNice,
                "run", "--no-sandbox", "--guest", "spin", "--vms", "2", "--duration", "200ms", "--quiet", "--nice", "vm0=5,vm1=0")) {
            assertEquals(0, p.waitFor(60_000), p.out() + p.err());
        }
        Result r = jkvm("run", "--no-sandbox", "--guest", "spin", "--vms", "2", "--duration", "200ms", "--quiet", "--nice", "vm0=-5");
        assertEquals(0, r.code(), r.out() + r.err());
        Result range = jkvm("run", "--no-sandbox", "--guest", "spin", "--vms", "2", "--nice", "vm1=20");
        assertEquals(ExitCodes.USAGE, range.code());
        assertTrue(range.err().contains("--nice vm1=20: nice values go from -20 to 19, got 20"), range.err());
    }

    /** A process allowed only the experiment CPU (taskset) runs, and says up front that its own threads share that CPU. */
    @Test
    void aProcessConfinedToTheExperimentCpuSaysSoBeforeItRuns(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        int cpu = dev.jkvm.sched.CpuPlacement.allowed().length() - 1;
        try (dev.jkvm.testing.JkvmProcess p = dev.jkvm.testing.JkvmProcess.startUnder(dir, java.util.List.of("taskset", "-c", Integer.toString(cpu)),
                "run", "--no-sandbox", "--guest", "spin", "--vms", "2", "--cpu", Integer.toString(cpu), "--duration", "200ms", "--quiet")) {
            assertEquals(0, p.waitFor(60_000), p.out() + p.err());
            String text = p.out() + p.err();
            assertTrue(text.contains("jkvm: warning: CPU " + cpu + " is the only CPU this process may use (affinity/cpuset)"), text);
            assertTrue(text.indexOf("is the only CPU") < text.indexOf("vCPU threads pinned to CPU " + cpu), text);
        }
    }

    /** JFR's repository cannot be made (java.io.tmpdir is a file here; unwritable for a user alike): a usage line naming the fix, no recording left. */
    @Test
    void aJfrThatCannotStartIsAUsageErrorNamingTheTemporaryDirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path notADirectory = java.nio.file.Files.writeString(dir.resolve("tmp-file"), "");
        java.nio.file.Path jfr = dir.resolve("r.jfr");
        try (dev.jkvm.testing.JkvmProcess p = dev.jkvm.testing.JkvmProcess.start(dir, java.util.List.of("-Djava.io.tmpdir=" + notADirectory),
                "run", "--no-sandbox", "--guest", "spin", "--duration", "200ms", "--quiet", "--jfr", jfr.toString())) {
            assertEquals(ExitCodes.USAGE, p.waitFor(60_000), p.out() + p.err());
            String line = p.err().lines().filter(l -> l.startsWith("jkvm:")).findFirst().orElse(p.out() + p.err());
            assertTrue(line.startsWith("jkvm: cannot start the JFR recording: ") && line.contains("-Djava.io.tmpdir=DIR"), line);
            assertTrue(!java.nio.file.Files.exists(jfr), "a recording was left behind");
        }
    }

    @Test
    void checkSaysUsable() {
        Result r = jkvm("check");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("API version: 12"), r.out());
    }
}
