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
        assertEquals("unknown profile 'jkvm-fast' (profiles: jkvm-sched, jkvm-full)", e.getMessage());
    }
}
