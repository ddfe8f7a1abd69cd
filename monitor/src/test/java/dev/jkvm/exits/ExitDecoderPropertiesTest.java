package dev.jkvm.exits;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.NativeException;
import dev.jkvm.bindings.generated.LinuxHeaders;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The exit decoder on kvm_run areas filled with anything (KVM writes them, but a guest chooses most
 * of what goes in: ports, sizes, counts, MMIO lengths): it returns an exit — Malformed for what makes
 * no sense — and throws only {@link NativeException} for a failed KVM_RUN. The handler then takes
 * every decoded exit without throwing.
 */
class ExitDecoderPropertiesTest {

    @Provide
    Arbitrary<Integer> reasons() {
        return Arbitraries.oneOf(Arbitraries.integers(),
                Arbitraries.of(LinuxHeaders.KVM_EXIT_IO(), LinuxHeaders.KVM_EXIT_MMIO(), LinuxHeaders.KVM_EXIT_HLT(),
                        LinuxHeaders.KVM_EXIT_SHUTDOWN(), LinuxHeaders.KVM_EXIT_FAIL_ENTRY(),
                        LinuxHeaders.KVM_EXIT_INTERNAL_ERROR(), LinuxHeaders.KVM_EXIT_SYSTEM_EVENT()));
    }

    @Provide
    Arbitrary<Integer> results() {
        return Arbitraries.oneOf(Arbitraries.of(0, 0, 0, -4, -11), Arbitraries.integers());
    }

    @Property(tries = 3000)
    void anyKvmRunContentsDecodeToAnExit(@ForAll("reasons") int reason, @ForAll("results") int rc,
            @ForAll @Size(min = 256, max = 256) byte[] fill, @ForAll @Size(min = 64, max = 64) byte[] pio) {
        try (Arena arena = Arena.ofConfined()) {
            SyntheticRun run = new SyntheticRun(arena);
            MemorySegment seg = run.seg;
            MemorySegment.copy(fill, 0, seg, ValueLayout.JAVA_BYTE, 0, fill.length);
            MemorySegment.copy(pio, 0, seg, ValueLayout.JAVA_BYTE, SyntheticRun.PIO_PAGE, pio.length);
            run.reason(reason);
            ExitDecoder decoder = new ExitDecoder(seg);
            VmExit exit;
            try {
                exit = decoder.decode(rc);
            } catch (NativeException e) {
                assertTrue(rc < 0, "only a failed KVM_RUN throws, rc " + rc);
                return;
            }
            assertNotNull(exit);
            new ExitHandler(new dev.jkvm.devices.PortBus()).handle(exit);
        }
    }
}
