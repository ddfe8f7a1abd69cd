package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The ./jkvm launcher and the test JVMs (pom.xml jkvm.jvmFlags) run with the same JVM flags, the
 * ones the README's benchmarks chose; in particular not C1 only, which allocates on every KVM_RUN.
 */
class LauncherFlagsTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void launcherAndTestJvmsUseTheSameFlags() throws Exception {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        Matcher m = Pattern.compile("<jkvm.jvmFlags>([^<]*)</jkvm.jvmFlags>").matcher(pom);
        assertTrue(m.find(), "pom.xml has no jkvm.jvmFlags");
        List<String> flags = Arrays.stream(m.group(1).strip().split("\\s+")).toList();
        String exec = Files.readAllLines(ROOT.resolve("jkvm")).stream().filter(l -> l.startsWith("exec ")).findFirst().orElseThrow();
        for (String f : flags) assertTrue(exec.contains(" " + f + " "), "./jkvm lacks " + f + ": " + exec);
        List<String> launcherXx = Arrays.stream(exec.split("\\s+")).filter(a -> a.startsWith("-XX:") && !a.contains("SharedArchive")).toList();
        assertEquals(flags, launcherXx, "./jkvm's -XX flags vs pom.xml jkvm.jvmFlags");
        assertFalse(exec.contains("TieredStopAtLevel"), "C1 only allocates per KVM_RUN and doubles the handling time");
    }
}
