package dev.jkvm.util;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a halt cleans up, short of halting: registered files are deleted and registered processes
 * killed (by the kernel's account: the child is reaped), and what was forgotten is left alone. The
 * halt itself, JFR's repository included, is StopSignalsKvmTest's: a second signal to a real run.
 */
class SuddenExitTest {
    @Test
    void cleanUpKillsAndDeletesOnlyWhatIsRegistered(@TempDir Path dir) throws Exception {
        Path registered = Files.writeString(dir.resolve("spill"), "x");
        Path forgotten = Files.writeString(dir.resolve("kept"), "y");
        Process child = new ProcessBuilder("sleep", "60").start();
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            SuddenExit.deleteOnHalt(registered);
            SuddenExit.deleteOnHalt(forgotten);
            SuddenExit.forget(forgotten);
            SuddenExit.deleteOnHalt(dir.resolve("never-made")); // already gone: no failure, the rest still done
            SuddenExit.killOnHalt(child);
            SuddenExit.killOnHalt(other);
            SuddenExit.forget(other);
            SuddenExit.cleanUp();
            assertTrue(child.waitFor(5, TimeUnit.SECONDS), "the registered child still runs");
            assertFalse(Files.exists(Path.of("/proc/" + child.pid())), "the registered child is not reaped");
            assertFalse(Files.exists(registered));
            assertTrue(Files.exists(forgotten));
            assertTrue(other.isAlive(), "a forgotten child was killed");
        } finally {
            SuddenExit.forget(registered);
            SuddenExit.forget(dir.resolve("never-made"));
            SuddenExit.forget(child);
            child.destroyForcibly();
            other.destroyForcibly();
        }
    }
}
