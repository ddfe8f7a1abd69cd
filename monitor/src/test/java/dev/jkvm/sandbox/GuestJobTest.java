package dev.jkvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job scripts are run by the host's /bin/sh here, exactly as the guest runs them in its chroot. */
class GuestJobTest {

    private static String sh(String script, Path cwd) throws Exception {
        Process p = new ProcessBuilder("/bin/sh", "-c", script).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return p.exitValue() + ":" + out;
    }

    @Test
    void argumentsSurviveQuotingUnchanged(@TempDir Path dir) throws Exception {
        List<String> args = List.of("printf", "[%s]", "plain", "it's", "$HOME", "`id`", "a b", "", "new\nline", "\\", "*");
        String script = GuestJob.commandScript(dir, Map.of(), args);
        assertEquals("0:[plain][it's][$HOME][`id`][a b][][new\nline][\\][*]", sh(script, Path.of("/")));
    }

    @Test
    void runsInTheWorkingDirectoryWithTheEnvironment(@TempDir Path dir) throws Exception {
        String script = GuestJob.commandScript(dir, Map.of("JKVM_X", "v'1 $2", "not-a-name", "x", "_", "skip"),
                List.of("sh", "-c", "pwd; echo \"$JKVM_X\"; echo \"$HOME\"; echo \"$PATH\""));
        String out = sh(script, Path.of("/"));
        assertEquals("0:" + dir.toRealPath() + "\nv'1 $2\n/root\n" + GuestJob.BASE_ENV.get("PATH") + "\n", out);
        assertFalse(script.contains("not-a-name"));
    }

    @Test
    void callerEnvironmentOverridesTheBase() {
        Map<String, String> env = GuestJob.effectiveEnv(Map.of("HOME", "/home/me"));
        assertEquals("/home/me", env.get("HOME"));
        assertTrue(env.containsKey("PATH"));
    }

    @Test
    void missingWorkingDirectoryExitsWith125AndSaysWhy(@TempDir Path dir) throws Exception {
        String out = sh(GuestJob.commandScript(dir.resolve("gone"), Map.of(), List.of("true")), Path.of("/"));
        assertTrue(out.startsWith("125:jkvm sandbox: the working directory"), out);
    }

    @Test
    void configListsSharesQuotedInOrder() throws Exception {
        String config = GuestJob.config(false, List.of(Path.of("/a b"), Path.of("/x/it's")));
        assertEquals("JKVM_MODE=command\nJKVM_SHARES=2\nJKVM_SHARE_0='/a b'\nJKVM_SHARE_1='/x/it'\\''s'\n", config);
        Path tmp = Files.createTempFile("jkvm-config", ".sh");
        try {
            Files.writeString(tmp, config);
            assertEquals("0:command 2 /x/it's\n", sh(". " + tmp + "; echo \"$JKVM_MODE $JKVM_SHARES $JKVM_SHARE_1\"", Path.of("/")));
        } finally {
            Files.delete(tmp);
        }
    }
}
