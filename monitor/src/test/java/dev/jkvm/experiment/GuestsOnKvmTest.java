package dev.jkvm.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.exits.ExitReason;
import dev.jkvm.exits.GuestResult;
import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The built-in guests on real KVM: every exit and every end asserted exactly. */
@Tag("kvm")
class GuestsOnKvmTest {

    static ExperimentReport run(Duration duration, Long arg, String... guests) throws InterruptedException {
        List<ExperimentSpec.VmSpec> vms = new ArrayList<>();
        for (String g : guests) {
            GuestImage image = GuestCatalog.resolve(g);
            vms.add(new ExperimentSpec.VmSpec(image, image.manifest().memory(),
                    arg != null ? arg : image.manifest().arg().orElse(0), null));
        }
        ExperimentSpec spec = new ExperimentSpec(vms, duration, OptionalInt.empty(), null, null, false);
        return new Experiment(spec, new PrintWriter(new StringWriter())).run();
    }

    @ParameterizedTest
    @CsvSource({
        "hello,   Hello from jkvm (real mode)",
        "hello32, Hello from jkvm (protected mode)",
        "hello64, Hello from jkvm (long mode)"
    })
    void helloGuestsPrintExactlyTheirLineAndHalt(String guest, String line) throws Exception {
        VmReport vm = run(null, null, guest).vm(0);
        assertEquals(line + "\n", vm.serialOutput());
        assertInstanceOf(GuestResult.Halted.class, vm.result());
        assertEquals(1, vm.exits().count(ExitReason.HLT));
        // Each byte is one LSR poll (in) and one THR write (out).
        assertEquals(2L * (line.length() + 1), vm.exits().count(ExitReason.IO));
        assertEquals(0, vm.unknownPortReads() + vm.unknownPortWrites());
    }

    @Test
    void ioPingMakesExactlyTheRequestedNumberOfIoExits() throws Exception {
        VmReport vm = run(null, 100_000L, "io-ping").vm(0);
        assertInstanceOf(GuestResult.Halted.class, vm.result());
        assertEquals(100_000, vm.exits().count(ExitReason.IO));
        assertEquals(100_000, vm.pings());
        assertEquals(1, vm.exits().count(ExitReason.HLT));
        assertEquals(100_001, vm.exits().total());
    }

    @Test
    void theKvmRunLoopAllocatesNothingPerExit() throws Exception {
        // A first run lets the JIT compile the loop; the second is measured.
        run(null, 50_000L, "io-ping");
        VmReport vm = run(null, 50_000L, "io-ping").vm(0);
        assertEquals(50_001, vm.exits().total());
        long bytes = vm.loopAllocatedBytes();
        System.out.printf("KVM_RUN loop: %d bytes allocated over %d exits (%.3f bytes/exit)%n", bytes, vm.exits().total(),
                (double) bytes / vm.exits().total());
        assertTrue(bytes >= 0, "the JVM cannot report thread allocation");
        // The end of the run (the result record, the last exits before compilation) may allocate a little;
        // one 16-byte object per exit would be 800 000 bytes.
        assertTrue(bytes < 100_000, bytes + " bytes allocated in the KVM_RUN loop for 50 000 exits");
    }

    @Test
    void spinAdvancesItsCounterWhileRunningAndDurationStopsIt() throws Exception {
        GuestImage spin = GuestCatalog.resolve("spin");
        ExperimentSpec spec = new ExperimentSpec(
                List.of(new ExperimentSpec.VmSpec(spin, spin.manifest().memory(), 0, null)),
                Duration.ofMillis(800), OptionalInt.empty(), null, null, false);
        long start = System.nanoTime();
        ExperimentReport report = new Experiment(spec, new PrintWriter(new StringWriter())).run();
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        VmReport vm = report.vm(0);
        assertInstanceOf(GuestResult.Stopped.class, vm.result());
        assertTrue(vm.result().clean());
        assertNotNull(vm.progressCounter());
        assertTrue(vm.progressCounter() > 1000, "spin counter only reached " + vm.progressCounter());
        assertTrue(elapsedMs >= 800, "stopped before the duration: " + elapsedMs + " ms");
        assertTrue(elapsedMs < 30_000, "--duration did not stop the guest promptly: " + elapsedMs + " ms");
    }

    @Test
    void tripleFaultEndsOnlyThatGuest() throws Exception {
        ExperimentReport report = run(null, null, "triple-fault", "hello");
        VmReport faulted = report.vm(0);
        GuestResult.Faulted f = assertInstanceOf(GuestResult.Faulted.class, faulted.result());
        assertEquals("SHUTDOWN", f.exitReason());
        assertEquals(1, faulted.exits().count(ExitReason.SHUTDOWN));
        assertEquals("triple-fault: loading an empty IDT and faulting\n", faulted.serialOutput());
        VmReport other = report.vm(1);
        assertInstanceOf(GuestResult.Halted.class, other.result());
        assertEquals("Hello from jkvm (real mode)\n", other.serialOutput());
        assertTrue(report.anyUnclean());
    }

    @Test
    void exitStatusGuestEndsWithItsStatus() throws Exception {
        VmReport vm = run(null, 42L, "exit-status").vm(0);
        assertEquals(new GuestResult.Exited(42 << 1 | 1), vm.result(), "QEMU isa-debug-exit: (v << 1) | 1");
        assertEquals(1, vm.exits().total());
    }

    @Test
    void manyVmsOnOneCpuAllFinish() throws Exception {
        List<ExperimentSpec.VmSpec> vms = new ArrayList<>();
        GuestImage ping = GuestCatalog.resolve("io-ping");
        for (int i = 0; i < 4; i++) vms.add(new ExperimentSpec.VmSpec(ping, ping.manifest().memory(), 5_000, null));
        ExperimentSpec spec = new ExperimentSpec(vms, null, OptionalInt.of(0), null, null, false);
        ExperimentReport report = new Experiment(spec, new PrintWriter(new StringWriter())).run();
        for (VmReport vm : report.vms()) {
            assertInstanceOf(GuestResult.Halted.class, vm.result(), vm.name());
            assertEquals(5_000, vm.pings(), vm.name());
        }
    }
}
