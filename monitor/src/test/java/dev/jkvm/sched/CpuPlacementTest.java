package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.util.UsageException;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CpuPlacementTest {
    private static BitSet bits(int... cpus) {
        BitSet b = new BitSet();
        for (int c : cpus) b.set(c);
        return b;
    }

    @Test
    void parsesRangesAndSingles() {
        assertEquals(bits(0, 1, 2, 3, 5), CpuPlacement.parseList("0-3,5"));
        assertEquals(bits(0), CpuPlacement.parseList("0"));
        assertEquals(bits(), CpuPlacement.parseList(""));
        assertEquals(bits(), CpuPlacement.parseList("  \n"));
        assertEquals(bits(1, 3, 4, 5, 9), CpuPlacement.parseList("1,3-5,9"));
        assertEquals(bits(0, 1, 62, 63), CpuPlacement.parseList(" 0-1 , 62-63 "));
        assertEquals(bits(7), CpuPlacement.parseList("7-7"));
    }

    @Test
    void formatsRangesAndSingles() {
        assertEquals("0-3,5", CpuPlacement.formatList(bits(0, 1, 2, 3, 5)));
        assertEquals("0", CpuPlacement.formatList(bits(0)));
        assertEquals("1,3", CpuPlacement.formatList(bits(1, 3)));
        assertEquals("0-1,4-5,7", CpuPlacement.formatList(bits(0, 1, 4, 5, 7)));
        assertEquals("none", CpuPlacement.formatList(bits()), "an empty set reads 'none' in messages");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0-3,5", "0", "1,3", "0-1,4-5,7", "2-127", "0,2,4,6", "63"})
    void roundTrips(String list) {
        assertEquals(list, CpuPlacement.formatList(CpuPlacement.parseList(list)));
    }

    @Test
    void emptyListParsesToNoCpusAndFormatsAsNone() {
        // The one asymmetry: formatList's "none" is for messages and is not itself a parseable list.
        assertEquals("none", CpuPlacement.formatList(CpuPlacement.parseList("")));
        assertThrows(NumberFormatException.class, () -> CpuPlacement.parseList("none"));
    }

    @Test
    void onlineCpusIncludeCpuZeroAndAllowedOnesAreOnline() {
        BitSet online = CpuPlacement.online();
        assertTrue(online.get(0), CpuPlacement.formatList(online));
        BitSet allowed = CpuPlacement.allowed();
        assertFalse(allowed.isEmpty());
        BitSet notOnline = (BitSet) allowed.clone();
        notOnline.andNot(online);
        assertTrue(notOnline.isEmpty(), "allowed " + CpuPlacement.formatList(allowed) + " but online " + CpuPlacement.formatList(online));
    }

    @Test
    void aCpuBeyondTheOnlineSetIsAUsageErrorNamingTheOnlineCpus() {
        String online = CpuPlacement.formatList(CpuPlacement.online());
        UsageException e = assertThrows(UsageException.class, () -> CpuPlacement.requireUsable(4096));
        assertEquals("CPU 4096 does not exist (online CPUs: " + online + ")", e.getMessage());
        UsageException negative = assertThrows(UsageException.class, () -> CpuPlacement.requireUsable(-1));
        assertEquals("CPU -1 does not exist (online CPUs: " + online + ")", negative.getMessage());
    }

    @Test
    void anAllowedCpuIsUsable() {
        int cpu = CpuPlacement.allowed().nextSetBit(0);
        assertDoesNotThrow(() -> CpuPlacement.requireUsable(cpu));
    }

    @Test
    void allowedExceptLeavesOutTheExperimentCpu() {
        int cpu = CpuPlacement.allowed().nextSetBit(0);
        BitSet rest = CpuPlacement.allowedExcept(cpu);
        assertFalse(rest.get(cpu));
        assertEquals(CpuPlacement.allowed().cardinality() - 1, rest.cardinality());
    }
}
