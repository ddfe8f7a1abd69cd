package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jkvm.guest.CpuMode;
import dev.jkvm.guest.GuestManifest.ApStart;
import dev.jkvm.kvm.CpuSetup;
import org.junit.jupiter.api.Test;

/** How each vCPU of a VM is started, and what it is called. No KVM. */
class ApStartsTest {

    @Test
    void theBootstrapProcessorAlwaysStartsAtTheEntry() {
        for (ApStart a : ApStart.values()) {
            assertEquals(ApStarts.Setup.AT_ENTRY, ApStarts.setupOf(0, a, false));
            assertEquals(ApStarts.Setup.AT_ENTRY, ApStarts.setupOf(0, a, true));
        }
    }

    @Test
    void directApsStartAtTheEntryAndAreMadeRunnableWhereKvmWouldHoldThemForSipi() {
        assertEquals(ApStarts.Setup.AT_ENTRY, ApStarts.setupOf(1, ApStart.DIRECT, false));
        assertEquals(ApStarts.Setup.AT_ENTRY_RUNNABLE, ApStarts.setupOf(3, ApStart.DIRECT, true));
    }

    @Test
    void sipiApsAreLeftInKvmsResetState() {
        assertEquals(ApStarts.Setup.AWAIT_SIPI, ApStarts.setupOf(1, ApStart.SIPI, true));
    }

    @Test
    void eachDirectVcpuHasItsOwnStackBelowTheTopOfMemory() {
        long mem = 4L << 20;
        assertEquals(mem, CpuSetup.stackTop(CpuMode.LONG, mem, 0), "vCPU 0 as a single-vCPU VM's");
        assertEquals(mem - 16 * 1024, CpuSetup.stackTop(CpuMode.LONG, mem, 1));
        assertEquals(mem - 63 * 16 * 1024, CpuSetup.stackTop(CpuMode.PROTECTED, mem, 63));
        assertEquals(0x7000, CpuSetup.stackTop(CpuMode.REAL, mem, 5), "real-mode guests set their own stack");
        assertThrows(IllegalArgumentException.class, () -> CpuSetup.stackTop(CpuMode.LONG, mem, -1));
    }

    @Test
    void aVmOfOneVcpuKeepsItsNameAndSmpVcpusAreNamedByIndex() {
        assertEquals("vm3", VmVcpu.nameOf("vm3", 0, 1));
        assertEquals("vm3/cpu0", VmVcpu.nameOf("vm3", 0, 2));
        assertEquals("vm3/cpu1", VmVcpu.nameOf("vm3", 1, 2));
    }
}
