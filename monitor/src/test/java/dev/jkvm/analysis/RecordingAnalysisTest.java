package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.jfr.JfrProfiles;
import dev.jkvm.jfr.KvmSchedIn;
import dev.jkvm.jfr.RecorderSummary;
import dev.jkvm.jfr.VcpuSchedIn;
import dev.jkvm.jfr.VcpuSchedOut;
import dev.jkvm.jfr.VcpuSwitch;
import dev.jkvm.jfr.VmEnd;
import dev.jkvm.util.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analysis on a real JFR file with synthetic jkvm events whose schedule is known exactly. */
class RecordingAnalysisTest {

    static void in(String vm, long t) {
        VcpuSchedIn e = new VcpuSchedIn();
        e.vm = vm; e.vcpu = 0; e.tid = 100; e.cpu = 1; e.kernelTime = t; e.inKvmRun = true;
        e.commit();
    }

    static void out(String vm, long t, boolean preempted) {
        VcpuSchedOut e = new VcpuSchedOut();
        e.vm = vm; e.vcpu = 0; e.tid = 100; e.cpu = 1; e.kernelTime = t; e.preempted = preempted; e.inKvmRun = true;
        e.commit();
    }

    static void switchClass(String vm, String c) {
        VcpuSwitch e = new VcpuSwitch();
        e.vm = vm; e.vcpu = 0; e.switchClass = c;
        e.commit();
    }

    static Path record(Path dir) throws Exception {
        Path file = dir.resolve("synthetic.jfr");
        try (Recording r = new Recording(JfrProfiles.load(JfrProfiles.SCHED))) {
            r.start();
            // Committed out of time order on purpose: the analysis must sort by kernel time.
            out("vm0", 5_000, true);
            in("vm0", 1_000);
            in("vm0", 9_000);
            out("vm0", 10_000, false);
            in("vm0", 13_000);
            out("vm0", 14_000, true);
            switchClass("vm0", "first load on this CPU");
            switchClass("vm0", "another vCPU was loaded");
            switchClass("vm0", "another vCPU was loaded");
            for (int i = 0; i < 3; i++) {
                KvmSchedIn k = new KvmSchedIn();
                k.vm = "vm0"; k.vcpu = 0; k.tid = 100; k.cpu = 1; k.kernelTime = 1_000 + i;
                k.commit();
            }
            VmEnd end = new VmEnd();
            end.vm = "vm0"; end.result = "halted"; end.exits = 10; end.progress = 77; end.clean = true;
            end.commit();
            RecorderSummary s = new RecorderSummary();
            s.switchRecords = 6; s.lostRecords = 0; s.lagP99 = 2_000_000;
            s.commit();
            r.stop();
            r.dump(file);
        }
        return file;
    }

    @Test
    void computesRunWaitSleepAndDelayFromTheSwitches(@TempDir Path dir) throws Exception {
        RecordingAnalysis.Result r = RecordingAnalysis.analyze(record(dir));
        assertEquals(1, r.vcpus().size());
        VcpuSchedule v = r.vcpus().get(0);
        assertEquals("vm0", v.vm());
        assertEquals(100, v.tid());
        assertEquals(3, v.schedIns());
        assertEquals(3, v.schedOuts());
        assertEquals(2, v.preemptions());
        assertEquals(4_000 + 1_000 + 1_000, v.runNanos());
        assertEquals(4_000, v.waitNanos());
        assertEquals(3_000, v.sleepNanos());
        assertEquals(4_000, v.maxDelayNanos());
        assertEquals(1, v.firstRuns());
        assertEquals(0, v.sameVcpu());
        assertEquals(2, v.fromOtherVcpu());
        assertEquals(3, v.kvmSchedIns());
        assertEquals(10, v.exits());
        assertEquals(77, v.progress());
        assertEquals("halted", v.result());
        assertEquals(6, r.switchRecords());
        assertEquals(0, r.lostRecords());
    }

    @Test
    void rendersTableAndJson(@TempDir Path dir) throws Exception {
        RecordingAnalysis.Result r = RecordingAnalysis.analyze(record(dir));
        String table = RecordingAnalysis.table(r);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("vm0") && l.contains("halted")), table);
        assertTrue(table.contains("recorder: 6 switch records, 0 lost"), table);
        String json = RecordingAnalysis.json(r);
        assertTrue(json.contains("\"runNanos\": 6000"), json);
        assertTrue(json.contains("\"waitNanos\": 4000"), json);
        assertTrue(json.contains("\"result\": \"halted\""), json);
    }

    @Test
    void aFileThatIsNotARecordingIsAUsageError(@TempDir Path dir) throws Exception {
        Path bogus = Files.writeString(dir.resolve("x.jfr"), "not a recording");
        UsageException e = assertThrows(UsageException.class, () -> RecordingAnalysis.analyze(bogus));
        assertTrue(e.getMessage().contains("is not a JFR recording"), e.getMessage());
        assertThrows(UsageException.class, () -> RecordingAnalysis.analyze(dir.resolve("missing.jfr")));
    }
}
