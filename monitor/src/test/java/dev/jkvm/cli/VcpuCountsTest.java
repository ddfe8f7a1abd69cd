package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jkvm.util.UsageException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --vcpus K} and {@code --vcpus vmI=K}. */
class VcpuCountsTest {

    @Test
    void aBareCountIsForEveryVmAndANamedOneOverridesIt() {
        assertEquals(Map.of(0, 2, 1, 2, 2, 2), VcpuCounts.parse(List.of("2"), 3));
        assertEquals(Map.of(0, 2, 1, 4, 2, 2), VcpuCounts.parse(List.of("2", "vm1=4"), 3));
        assertEquals(Map.of(1, 4), VcpuCounts.parse(List.of("vm1=4"), 2));
        assertEquals(Map.of(), VcpuCounts.parse(List.of(), 2));
        assertEquals(Map.of(0, 2, 1, 4, 2, 2), VcpuCounts.parse(List.of("vm1=4", "2"), 3), "in any order (vm1 got 2 before)");
    }

    @Test
    void aCountGivenTwiceIsRefused() {
        assertEquals("--vcpus gives the count for every VM twice (2 and 3); give it once",
                assertThrows(UsageException.class, () -> VcpuCounts.parse(List.of("2", "3"), 2)).getMessage());
        assertEquals("--vcpus names vm0 twice; give each VM's count once",
                assertThrows(UsageException.class, () -> VcpuCounts.parse(List.of("vm0=2", "vm00=3"), 2)).getMessage());
    }

    @Test
    void badItemsAreOneLineUsageErrors() {
        assertEquals("--vcpus takes K or vmI=K (e.g. 2 or vm1=4), got 'two'",
                assertThrows(UsageException.class, () -> VcpuCounts.parse(List.of("two"), 1)).getMessage());
        assertEquals("--vcpus takes K or vmI=K (e.g. 2 or vm1=4), got 'cpu1=2'",
                assertThrows(UsageException.class, () -> VcpuCounts.parse(List.of("cpu1=2"), 1)).getMessage());
        assertEquals("--vcpus names vm2 but the run has vm0..vm1",
                assertThrows(UsageException.class, () -> VcpuCounts.parse(List.of("vm2=2"), 2)).getMessage());
        assertEquals("--vcpus: a VM has 1 to 64 vCPUs, got 0",
                assertThrows(UsageException.class, () -> VcpuCounts.parse(List.of("0"), 1)).getMessage());
        assertEquals("--vcpus: a VM has 1 to 64 vCPUs, got 65",
                assertThrows(UsageException.class, () -> VcpuCounts.parse(List.of("vm0=65"), 1)).getMessage());
        assertEquals("--vcpus names vm99999999999 but the run has vm0..vm0",
                assertThrows(UsageException.class, () -> VcpuCounts.parse(List.of("vm99999999999=2"), 1)).getMessage());
    }
}
