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
        assertEquals("1 s", s.get("jkvm.VcpuExitStats#period"));
        assertEquals("true", s.get("jkvm.VcpuOnCpu#enabled"), "the lanes are what JMC users look at first: on in the default profile");
        assertEquals("true", s.get("jkvm.VcpuRunnable#enabled"));
    }

    @Test
    void fullProfileAlsoRecordsEveryExit() {
        Configuration full = JfrProfiles.load(JfrProfiles.FULL);
        assertEquals("true", full.getSettings().get("jkvm.VmExit#enabled"));
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
