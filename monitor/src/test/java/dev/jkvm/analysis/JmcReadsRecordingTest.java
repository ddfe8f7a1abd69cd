package dev.jkvm.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmc.common.IDescribable;
import org.openjdk.jmc.common.item.IAccessorKey;
import org.openjdk.jmc.common.item.IItemCollection;
import org.openjdk.jmc.common.item.IItemIterable;
import org.openjdk.jmc.common.item.IType;
import org.openjdk.jmc.common.unit.UnitLookup;
import org.openjdk.jmc.flightrecorder.JfrLoaderToolkit;

/** JDK Mission Control's own parser reads a jkvm recording: types, labels, descriptions and units as JMC shows them. */
class JmcReadsRecordingTest {

    @Test
    void missionControlSeesTheEventsWithTheirLabelsAndUnits(@TempDir Path dir) throws Exception {
        Path file = RecordingAnalysisTest.record(dir);
        IItemCollection items = JfrLoaderToolkit.loadEvents(file.toFile());
        Map<String, IType<?>> types = new HashMap<>();
        Map<String, Long> counts = new HashMap<>();
        for (IItemIterable it : items) {
            IType<?> t = it.getType();
            types.put(t.getIdentifier(), t);
            counts.merge(t.getIdentifier(), it.getItemCount(), Long::sum);
        }
        IType<?> in = types.get("jkvm.VcpuSchedIn");
        assertNotNull(in, "JMC found no jkvm.VcpuSchedIn among " + types.keySet());
        assertEquals("vCPU Sched In", in.getName());
        assertNotNull(in.getDescription());
        assertEquals(3L, counts.get("jkvm.VcpuSchedIn"));
        assertEquals(3L, counts.get("jkvm.VcpuSchedOut"));
        Map<String, IAccessorKey<?>> keys = new HashMap<>();
        for (Map.Entry<IAccessorKey<?>, ? extends IDescribable> e : in.getAccessorKeys().entrySet()) {
            keys.put(e.getKey().getIdentifier(), e.getKey());
            assertNotNull(e.getValue().getName(), "attribute " + e.getKey().getIdentifier() + " has no label in JMC");
        }
        assertEquals(UnitLookup.TIMESPAN, keys.get("lag").getContentType(), "lag is not a timespan in JMC");
        assertEquals("Monotonic Nanoseconds", in.getAccessorKeys().get(keys.get("monotonicNanos")).getName());
    }
}
