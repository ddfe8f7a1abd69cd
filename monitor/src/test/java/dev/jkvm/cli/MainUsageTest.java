package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.sched.CpuPlacement;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI in process, for everything that ends before a VM would start: help, version, the guest list,
 * and every usage error (exit 2, one line, no stack trace). Needs no KVM.
 */
class MainUsageTest {
    static final List<String> BUILT_INS = List.of(
            "hello", "hello32", "hello64", "spin", "io-ping", "tsc-probe", "triple-fault", "steal-spin", "exit-status", "tick", "duty", "serial-irq", "multiboot-info",
            "lock", "ap-count", "linux");

    record Result(int code, String out, String err) {}

    static Result jkvm(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    /** A usage error: exit code 2, nothing on stdout, a "jkvm: " message on stderr and no stack trace. */
    static Result usageError(String... args) {
        Result r = jkvm(args);
        assertEquals(ExitCodes.USAGE, r.code(), () -> "exit code of " + String.join(" ", args) + "\nout: " + r.out() + "\nerr: " + r.err());
        assertTrue(r.err().startsWith("jkvm: "), r.err());
        assertFalse(r.err().contains("\tat "), "stack trace in: " + r.err());
        assertFalse(r.err().contains("Exception"), "exception name in: " + r.err());
        assertFalse(r.err().contains("internal error"), r.err());
        assertEquals("", r.out(), "nothing started, nothing printed");
        return r;
    }

    private static void assertContains(String haystack, String needle) {
        assertTrue(haystack.contains(needle), () -> "expected '" + needle + "' in:\n" + haystack);
    }

    @Test
    void helpListsTheCommands() {
        Result r = jkvm("--help");
        assertEquals(0, r.code(), r.err());
        for (String command : List.of("check", "guests", "run")) assertTrue(r.out().matches("(?s).*\\n\\s+" + command + "\\s.*"), r.out());
        assertContains(r.out(), "Exit codes:");
        assertEquals("", r.err());
    }

    /** picocli warns on System.err, not on the command's writer, when a description has a bare '%'. */
    @Test
    void everyCommandsHelpRendersWithoutPicocliWarnings() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            for (String command : Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                    .getSubcommands().keySet()) {
                Result r = jkvm(command, "--help");
                assertEquals(0, r.code(), () -> command + " --help: " + r.err());
            }
        } finally {
            System.setErr(saved);
        }
        assertEquals("", warnings.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The names the lazy command line dispatches on are the commands' own (picocli's @Command name). */
    /** A map option's bad value: one line naming the option once (picocli's own words said "option option"). */
    @Test
    void aBadMapOptionValueNamesTheOptionOnce() {
        Result r = jkvm("run", "--guest", "spin", "--nice", "abc");
        assertEquals(2, r.code(), r.err());
        assertContains(r.err(), "jkvm: Value for option '--nice' (vmI=K) should be in KEY=VALUE");
        assertTrue(!r.err().contains("option option"), r.err());
    }

    @Test
    void subcommandNamesAreTheCommandsOwn() {
        for (var e : Main.SUBCOMMANDS.entrySet()) {
            picocli.CommandLine.Command c = e.getValue().getAnnotation(picocli.CommandLine.Command.class);
            assertEquals(e.getKey(), c.name(), e.getValue().getName());
        }
        assertEquals(Main.SUBCOMMANDS.keySet(), Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .getSubcommands().keySet());
    }

    /** A command named first is the only one built; help, an unknown name or an option builds them all. */
    @Test
    void onlyTheNamedSubcommandIsBuilt() {
        PrintWriter sink = new PrintWriter(new StringWriter());
        assertEquals(java.util.Set.of("run"), Main.commandLine(sink, sink, "run").getSubcommands().keySet());
        assertEquals(java.util.Set.of("analyze"), Main.commandLine(sink, sink, "analyze").getSubcommands().keySet());
        for (String first : new String[] {"help", "--help", "rn", "@opts"}) {
            assertEquals(Main.SUBCOMMANDS.keySet(), Main.commandLine(sink, sink, first).getSubcommands().keySet(), first);
        }
        Result r = jkvm("help", "run");
        assertEquals(0, r.code(), r.err());
        assertContains(r.out(), "Usage: jkvm run");
    }

    @Test
    void noArgumentsShowsTheUsage() {
        Result r = jkvm();
        assertEquals(0, r.code(), r.err());
        assertContains(r.out(), "Usage: jkvm");
    }

    @Test
    void runHelpDescribesItsOptions() {
        Result r = jkvm("run", "--help");
        assertEquals(0, r.code(), r.err());
        for (String option : List.of("--guest", "--vms", "--memory", "--duration", "--cpu", "--nice")) assertContains(r.out(), option);
    }

    @Test
    void versionNamesJkvmAndJava() {
        Result r = jkvm("--version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("jkvm "), r.out());
        assertContains(r.out(), "Java " + Runtime.version().feature());
    }

    @Test
    void guestsListsAllBuiltInsWithTheirModes() {
        Result r = jkvm("guests");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).matches("NAME\\s+MODE\\s+MEMORY\\s+DESCRIPTION"), lines.get(0));
        assertEquals(1 + BUILT_INS.size(), lines.size(), r.out());
        for (int i = 0; i < BUILT_INS.size(); i++) {
            String[] cols = lines.get(i + 1).trim().split("\\s+", 4);
            assertEquals(BUILT_INS.get(i), cols[0]);
            String expectedMode = switch (cols[0]) {
                case "hello" -> "real";
                case "hello32", "multiboot-info" -> "protected";
                default -> "long";
            };
            assertEquals(expectedMode, cols[1], lines.get(i + 1));
            assertEquals(cols[0].equals("linux") ? "256MiB" : "4MiB", cols[2], lines.get(i + 1));
        }
    }

    @Test
    void runWithoutGuestNamesTheOption() {
        Result r = usageError("run");
        assertContains(r.err(), "--guest");
        assertContains(r.err(), "Try 'jkvm run --help'");
    }

    @Test
    void unknownGuestListsTheBuiltIns() {
        Result r = usageError("run", "--guest", "nope");
        assertContains(r.err(), "unknown guest 'nope'");
        assertContains(r.err(), String.join(", ", BUILT_INS));
        assertContains(r.err(), "(see 'jkvm run --help')");
    }

    @Test
    void zeroVmsIsRejected() {
        assertContains(usageError("run", "--guest", "hello", "--vms", "0").err(), "--vms must be at least 1, got 0");
        assertContains(usageError("run", "--guest", "hello", "--vms", "-3").err(), "--vms must be at least 1");
    }

    @Test
    void aCpuThatDoesNotExistNamesTheOnlineCpus() {
        Result r = usageError("run", "--guest", "hello", "--cpu", "4096");
        assertContains(r.err(), "CPU 4096 does not exist (online CPUs: " + CpuPlacement.formatList(CpuPlacement.online()) + ")");
    }

    @Test
    void niceForAVmBeyondTheRunIsRejected() {
        assertContains(usageError("run", "--guest", "hello", "--nice", "vm3=1").err(), "vm3");
        assertContains(usageError("run", "--guest", "hello", "--vms", "2", "--nice", "vm0=0,vm2=5").err(), "vm2");
    }

    @Test
    void niceWithABadKeyOrValueIsRejected() {
        assertContains(usageError("run", "--guest", "hello", "--nice", "bogus=1").err(), "--nice takes vmI=K");
        assertContains(usageError("run", "--guest", "hello", "--nice", "vm0=20").err(), "nice values go from -20 to 19, got 20");
        usageError("run", "--guest", "hello", "--nice", "vm0=high");
    }

    @Test
    void aDurationThatIsNotOneIsRejected() {
        assertContains(usageError("run", "--guest", "hello", "--duration", "soon").err(), "not a duration: 'soon'");
        assertContains(usageError("run", "--guest", "hello", "--duration", "0s").err(), "duration must be positive");
    }

    @Test
    void badMemorySizesAreRejected() {
        assertContains(usageError("run", "--guest", "hello", "--memory", "3K").err(), "--memory must be a multiple of 4 KiB, got 3K");
        assertContains(usageError("run", "--guest", "hello", "--memory", "512K").err(), "--memory must be between 1M and 1G, got 512K");
        assertContains(usageError("run", "--guest", "hello", "--memory", "2G").err(), "--memory must be between 1M and 1G, got 2G");
        assertContains(usageError("run", "--guest", "hello", "--memory", "lots").err(), "not a size: 'lots'");
    }

    @Test
    void memoryTooSmallForTheGuestIsRejected() {
        // Long-mode images load at 1 MiB: 1M of RAM leaves no room for them.
        assertContains(usageError("run", "--guest", "hello64", "--memory", "1M").err(), "does not fit into 1024 KiB");
    }

    @Test
    void twoGuestsForThreeVmsIsRejected() {
        Result r = usageError("run", "--guest", "hello", "--guest", "hello64", "--vms", "3");
        assertContains(r.err(), "2 guests given for 3 VMs");
    }

    @Test
    void anUnknownGuestAmongSeveralIsRejected() {
        assertContains(usageError("run", "--guest", "hello", "--guest", "nope").err(), "unknown guest 'nope'");
    }

    @Test
    void unknownOptionsPointToHelp() {
        Result top = usageError("--frobnicate");
        assertContains(top.err(), "Try 'jkvm --help'");
        Result run = usageError("run", "--guest", "hello", "--frobnicate");
        assertContains(run.err(), "--frobnicate");
        assertContains(run.err(), "Try 'jkvm run --help'");
        Result command = usageError("frobnicate");
        assertContains(command.err(), "Try 'jkvm");
    }

    @Test
    void aNonNumericOptionValueIsAUsageError() {
        assertContains(usageError("run", "--guest", "hello", "--vms", "many").err(), "Try 'jkvm run --help'");
        assertContains(usageError("run", "--guest", "hello", "--cpu", "x").err(), "Try 'jkvm run --help'");
    }

    @Test
    void aFlatImageWithoutManifestIsAUsageErrorSayingWhatToWrite(@TempDir Path dir) throws IOException {
        Path image = dir.resolve("mine.bin");
        Files.write(image, new byte[] {(byte) 0xF4});
        Result r = usageError("run", "--guest", image.toString());
        assertContains(r.err(), "write " + dir.resolve("mine.manifest"));
    }

    @Test
    void aMissingImagePathIsAUsageError(@TempDir Path dir) {
        assertContains(usageError("run", "--guest", dir.resolve("nothing.elf").toString()).err(), "guest image not found");
    }

    /** A full heap (analyze --rules of a large recording, say) is the one internal error the user can fix: one line with the fix. */
    @Test
    void aFullHeapIsOneLineWithTheFix() {
        StringWriter err = new StringWriter();
        PrintWriter w = new PrintWriter(err);
        ErrorHandling.internalError(w, new OutOfMemoryError("Java heap space"));
        w.flush();
        assertTrue(err.toString().matches("jkvm: out of memory: the Java heap \\(\\d+ MiB\\) is full; give jkvm more with JKVM_JAVA_OPTS=-Xmx<size>.*\\R"),
                err.toString());
    }
}
