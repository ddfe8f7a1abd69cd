package dev.jkvm.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.util.UsageException;
import java.util.Map;
import jdk.jfr.Configuration;
import org.junit.jupiter.api.Test;

/** The shipped .jfc profiles, parsed by JFR itself. */
class JfrProfilesTest {

    @Test
    void schedProfileRecordsSwitchesButNotEveryExit() {
        Map<String, String> s = JfrProfiles.load(JfrProfiles.SCHED).getSettings();
        assertEquals("true", s.get("jkvm.VcpuSchedIn#enabled"));
        assertEquals("true", s.get("jkvm.VcpuSchedOut#enabled"));
        assertEquals("true", s.get("jkvm.KvmSchedIn#enabled"));
        assertEquals("false", s.get("jkvm.VmExit#enabled"));
        // Per-VM samples grow with VMs x seconds, not with switches: the default samples every 10 s (and once at the end).
        for (String periodic : java.util.List.of("jkvm.VcpuExitStats", "jkvm.GuestProgress", "jkvm.StealTime", "jdk.ThreadCPULoad")) {
            assertEquals("10 s", s.get(periodic + "#period"), periodic);
        }
        assertEquals("60 s", s.get("jkvm.KvmStats#period"), "KVM statistics: changes once a minute and at the end");
        assertEquals("true", s.get("jkvm.VcpuOnCpu#enabled"), "the lanes are what JMC users look at first: on in the default profile");
        assertEquals("true", s.get("jkvm.VcpuRunnable#enabled"));
    }

    @Test
    void fullProfileAlsoRecordsEveryExit() {
        Configuration full = JfrProfiles.load(JfrProfiles.FULL);
        assertEquals("true", full.getSettings().get("jkvm.VmExit#enabled"));
        for (String periodic : java.util.List.of("jkvm.VcpuExitStats", "jkvm.GuestProgress", "jkvm.StealTime", "jdk.ThreadCPULoad")) {
            assertEquals("1 s", full.getSettings().get(periodic + "#period"), periodic);
        }
        assertEquals("1 s", full.getSettings().get("jkvm.KvmStats#period"));
        assertEquals("true", full.getSettings().get("jkvm.VcpuOnCpu#enabled"));
        assertEquals("true", full.getSettings().get("jkvm.VcpuRunnable#enabled"));
        assertTrue(full.getLabel().contains("full"));
    }

    @Test
    void anUnknownProfileIsAUsageErrorNamingTheKnownOnes() {
        UsageException e = assertThrows(UsageException.class, () -> JfrProfiles.load("jkvm-fast"));
        assertEquals("unknown profile 'jkvm-fast' (profiles: jkvm-sched, jkvm-full, or a .jfc file, such as one 'jfr configure' wrote from them)",
                e.getMessage());
    }

    /**
     * The profiles say to edit them with `jfr configure` (lanes=false …), and the result was refused as
     * an unknown profile. A file the JDK's own tool wrote is a profile now; one that is no .jfc is a
     * usage error.
     */
    @Test
    void aProfileEditedWithJfrConfigureIsAProfile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path shipped = dir.resolve("jkvm-sched.jfc"), lean = dir.resolve("lean.jfc");
        try (var in = JfrProfiles.class.getClassLoader().getResourceAsStream("dev/jkvm/jfr/jkvm-sched.jfc")) {
            java.nio.file.Files.copy(in, shipped);
        }
        String jfr = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jfr").toString();
        Process p = new ProcessBuilder(jfr, "configure", "--input", shipped.toString(), "lanes=false", "--output", lean.toString())
                .redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), said);
        JfrProfiles.requireKnown(lean.toString());
        Map<String, String> s = JfrProfiles.load(lean.toString()).getSettings();
        assertEquals("false", s.get("jkvm.VcpuOnCpu#enabled"));
        assertEquals("false", s.get("jkvm.VcpuRunnable#enabled"));
        assertEquals("true", s.get("jkvm.VcpuSchedIn#enabled"));
        java.nio.file.Path text = java.nio.file.Files.writeString(dir.resolve("notes.jfc"), "not xml");
        UsageException e = assertThrows(UsageException.class, () -> JfrProfiles.requireKnown(text.toString()));
        assertTrue(e.getMessage().startsWith("--profile " + text + " is not a JFR configuration (.jfc): "), e.getMessage());
    }
}
