package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.jfr.JfrProfiles;
import dev.jkvm.sched.CpuPlacement;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jkvm.KvmStats as changes: an io-ping guest pinging for 2.5 s, sampled every second (jkvm-full) and
 * once more at the end. Each statistic's events form a chain (each change is the difference of its
 * values, the first counts from zero, none is zero) and the last value of KVM's own exit count is at
 * least the exits jkvm's loop handled.
 */
@Tag("kvm")
class KvmStatsDeltasKvmTest {

    @Test
    void onlyChangedStatisticsAreWrittenAndTheirChangesAddUp(@TempDir Path dir) throws Exception {
        int cpu = CpuPlacement.allowed().length() - 1;
        GuestImage ioPing = GuestCatalog.resolve("io-ping");
        Path jfr = dir.resolve("stats.jfr");
        ExperimentSpec spec = new ExperimentSpec(List.of(new ExperimentSpec.VmSpec(ioPing, ioPing.manifest().memory(), 100_000_000L, null)),
                Duration.ofMillis(2500), OptionalInt.of(cpu), jfr, JfrProfiles.FULL, false);
        VmReport vm = new Experiment(spec, new PrintWriter(new StringWriter())).run().vm(0);

        List<RecordedEvent> stats = RecordingFile.readAllEvents(jfr).stream()
                .filter(e -> e.getEventType().getName().equals("jkvm.KvmStats")).toList();
        assertFalse(stats.isEmpty(), "no KVM statistics");
        Map<String, List<RecordedEvent>> chains = stats.stream().collect(Collectors.groupingBy(
                e -> e.getString("vm") + "/" + e.getString("scope") + "/" + e.getString("name")));
        int samples = 0;
        for (var chain : chains.entrySet()) {
            List<RecordedEvent> c = chain.getValue().stream().sorted(Comparator.comparing(RecordedEvent::getStartTime)).toList();
            samples = Math.max(samples, c.size());
            long previous = 0;
            for (RecordedEvent e : c) {
                assertNotEquals(0, e.getLong("delta"), chain.getKey() + ": an unchanged statistic was written");
                assertEquals(e.getLong("value") - previous, e.getLong("delta"), chain.getKey() + ": change vs values");
                previous = e.getLong("value");
            }
        }
        // Samples at about 1 s and 2 s, then the last one at the end: statistics that move every
        // second (exits) have at least 3 events; most of KVM's ~60 never move for this guest.
        assertTrue(samples >= 3, "at most " + samples + " samples of one statistic");
        assertTrue(chains.size() < 60, chains.size() + " statistics changed: unchanged ones are written too?");

        // KVM counts every exit of the vCPU (kvm_pvm leaves io_exits at zero), the loop only those that
        // reached user space: KVM's last value is at least the loop's count.
        assertTrue(chains.containsKey("vm0/vcpu0/exits"), "exits never changed; changed: " + chains.keySet());
        long kvmExits = chains.get("vm0/vcpu0/exits").stream().mapToLong(e -> e.getLong("value")).max().orElseThrow();
        long loopExits = vm.exits().total();
        assertTrue(loopExits > 10_000, "only " + loopExits + " exits");
        assertTrue(kvmExits >= loopExits, "KVM's exits " + kvmExits + " < the loop's " + loopExits);
    }
}
