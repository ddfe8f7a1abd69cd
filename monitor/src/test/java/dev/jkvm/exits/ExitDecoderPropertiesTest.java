package dev.jkvm.exits;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.NativeException;
import dev.jkvm.bindings.generated.LinuxHeaders;
import dev.jkvm.testing.Property;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exit decoder on kvm_run areas filled with anything (KVM writes them, but a guest chooses most
 * of what goes in: ports, sizes, counts, MMIO lengths): it returns an exit — Malformed for what makes
 * no sense — and throws only {@link NativeException} for a failed KVM_RUN. The handler then takes
 * every decoded exit without throwing.
 */
class ExitDecoderPropertiesTest {
    private static final List<Integer> REASONS = List.of(LinuxHeaders.KVM_EXIT_IO(), LinuxHeaders.KVM_EXIT_MMIO(),
            LinuxHeaders.KVM_EXIT_HLT(), LinuxHeaders.KVM_EXIT_SHUTDOWN(), LinuxHeaders.KVM_EXIT_FAIL_ENTRY(),
            LinuxHeaders.KVM_EXIT_INTERNAL_ERROR(), LinuxHeaders.KVM_EXIT_SYSTEM_EVENT());

    @Test
    void anyKvmRunContentsDecodeToAnExit() {
        Property.forAll(5000, gen -> {
            int reason = gen.bool() ? gen.oneOf(REASONS) : gen.anyInt();
            int rc = gen.bool() ? gen.oneOf(List.of(0, 0, -4, -11)) : gen.anyInt();
            try (Arena arena = Arena.ofConfined()) {
                SyntheticRun run = new SyntheticRun(arena);
                MemorySegment seg = run.seg;
                byte[] fill = gen.bytes(256, 256);
                byte[] pio = gen.bytes(64, 64);
                MemorySegment.copy(fill, 0, seg, ValueLayout.JAVA_BYTE, 0, fill.length);
                MemorySegment.copy(pio, 0, seg, ValueLayout.JAVA_BYTE, SyntheticRun.PIO_PAGE, pio.length);
                run.reason(reason);
                if (reason == LinuxHeaders.KVM_EXIT_IO() && gen.bool()) { // plausible I/O, so the handler's paths run too
                    run.io(gen.between(0, 1), gen.oneOf(List.of(1, 2, 4)), gen.between(0, 0xFFFF), gen.between(1, 8), SyntheticRun.PIO_PAGE);
                }
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
        });
    }
}
