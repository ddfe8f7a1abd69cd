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

    /**
     * Stdout is jkvm's alone (`analyze --format json` is read by programs): a class-data archive made
     * for an older jar made the JVM print "[warning][cds,dynamic] Unable to use shared archive" there.
     * The launcher runs here from a copy of the project's layout: the archive is dumped for the jar,
     * then the jar's modification time changes, as a rebuild changes it.
     */
    @Test
    void theJvmsOwnWarningsNeverReachStdout(@org.junit.jupiter.api.io.TempDir Path root) throws Exception {
        Path target = root.resolve("monitor/target");
        Path jar = installCopy(root);
        Path lib = target.resolve("lib");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process dump = new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:ArchiveClassesAtExit=" + target.resolve("jkvm.jsa"),
                "-cp", jar + ":" + lib + "/*", "dev.jkvm.cli.Main", "guests")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, dump.waitFor());
        assertTrue(Files.size(target.resolve("jkvm.jsa")) > 0, "no archive was dumped");
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 86_400_000L));
        ProcessBuilder launch = new ProcessBuilder("bash", root.resolve("jkvm").toString(), "guests")
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        launch.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = launch.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.startsWith("NAME "), "stdout must begin with jkvm's own output:\n" + out);
        assertFalse(out.contains("[warning]") || out.contains("[error]"), out);
    }

    /**
     * A copy of the launcher's layout in {@code root} (jkvm, monitor/target/jkvm-monitor.jar and lib/),
     * made from this test JVM's class path (unit tests run before `package` makes the real jar) with the
     * launcher's own picocli; returns the jar.
     */
    static Path installCopy(Path root) throws java.io.IOException {
        Path target = Files.createDirectories(root.resolve("monitor/target"));
        Files.copy(ROOT.resolve("jkvm"), root.resolve("jkvm"));
        Path jar = jarOf(ROOT.resolve("monitor/target/classes"), target.resolve("jkvm-monitor.jar"));
        Path lib = Files.createDirectories(target.resolve("lib"));
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path e = Path.of(entry);
            if (e.toAbsolutePath().startsWith(ROOT.resolve("monitor/target").toAbsolutePath())) continue; // the monitor itself, its tests
            // The launcher's picocli is the build's rewritten one (target/lib, made before the tests), not Maven's.
            if (e.getFileName().toString().startsWith("picocli-")) e = ROOT.resolve("monitor/target/lib").resolve(e.getFileName());
            if (Files.isDirectory(e)) jarOf(e, lib.resolve("dir" + n++ + ".jar"));
            else if (entry.endsWith(".jar")) Files.createSymbolicLink(lib.resolve(n++ + "-" + e.getFileName()), e.toAbsolutePath());
        }
        return jar;
    }

    private static Path jarOf(Path classes, Path jar) throws java.io.IOException {
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
             var files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new java.util.jar.JarEntry(classes.relativize(f).toString().replace(java.io.File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return jar;
    }
}
