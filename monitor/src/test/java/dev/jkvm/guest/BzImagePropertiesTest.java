package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.testing.Property;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bzImage loader (set-up header parse, then the boot_params / command line / initrd layout) on
 * random and mutated kernels: it loads, or it fails with {@link InvalidGuestException} naming the
 * file — never another exception — and what it lays out lies inside the VM's memory.
 */
class BzImagePropertiesTest {
    private static final long MIB = 1L << 20;

    private static int laidOut;

    /** Parses and, when that works, lays the kernel out; only the typed error may come out. */
    private static void loadsOrFailsTyped(byte[] file, byte[] initrd, String cmdline, long memory) {
        BzImage kernel;
        try {
            kernel = BzImage.parse(file, "k");
        } catch (InvalidGuestException expected) {
            assertTrue(expected.getMessage().startsWith("k: "), expected.getMessage());
            return;
        }
        assertTrue(kernel.protectedMode().length > 0 && kernel.protectedMode().length <= file.length);
        LinuxBoot boot;
        try {
            boot = LinuxBoot.build(kernel, initrd, cmdline, memory, "k");
        } catch (InvalidGuestException expected) {
            assertTrue(expected.getMessage().startsWith("k: "), expected.getMessage());
            return;
        }
        laidOut++;
        for (GuestImage.Segment s : boot.segments()) {
            long end = s.address() + Math.max(s.bytes().length, s.memSize());
            assertTrue(s.address() >= 0 && end <= memory, String.format("segment 0x%x-0x%x outside %d bytes", s.address(), end, memory));
        }
    }

    /** Writes a byte, a 16-, 32- or 64-bit value (biased to boundaries) somewhere in the set-up header of {@code b}. */
    private static void mutate(Property.Gen gen, ByteBuffer b) {
        int width = gen.oneOf(List.of(1, 2, 4, 8));
        int at = gen.between(0x1f0, Math.min(0x270, b.capacity() - width));
        long value = gen.anyLong(0, 1, 0xff, 0x100, 0x20c, 0xffff, 0x1000000, 0x7fffffff, 0xffffffffL, b.capacity() / 16);
        switch (width) {
            case 1 -> b.put(at, (byte) value);
            case 2 -> b.putShort(at, (short) value);
            case 4 -> b.putInt(at, (int) value);
            default -> b.putLong(at, value);
        }
    }

    private static long memory(Property.Gen gen) {
        return gen.oneOf(List.of(1L, 2L, 4L, 16L, 64L, 256L, 1024L)) * MIB;
    }

    @Test
    void randomBytesAreNeverMoreThanAnInvalidGuest() {
        Property.forAll(1000, gen -> loadsOrFailsTyped(gen.bytes(3000), new byte[0], "", memory(gen)));
    }

    @Test
    void mutatedHeadersLoadOrFailTyped() {
        laidOut = 0;
        Property.forAll(3000, gen -> {
            byte[] kernel = gen.bytes(16, 8192);
            byte[] image = BzImageTest.bzImage(kernel, gen.oneOf(List.of(0, 1, 255, 2047, 0x7fffffff, -1)));
            ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
            for (int m = gen.between(1, 4); m > 0; m--) mutate(gen, b);
            if (gen.bool()) image = java.util.Arrays.copyOf(image, gen.between(0, image.length)); // truncated
            byte[] initrd = gen.bool() ? new byte[0] : gen.bytes(1, 5000);
            loadsOrFailsTyped(image, initrd, gen.bool() ? "console=ttyS0" : gen.text(300), memory(gen));
        });
        // About 3 % are laid out (89 in a run): the layout's checks ran too.
        assertTrue(laidOut > 30, laidOut + " of 3000 mutated kernels laid out");
    }
}
