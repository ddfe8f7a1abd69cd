package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.testing.Property;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ELF and manifest loaders on random and mutated inputs: they load, or they fail with
 * {@link InvalidGuestException} (a one-line usage error) — never with any other exception, and a
 * loaded image always passes its own fit check.
 */
class LoaderPropertiesTest {
    private static final GuestManifest ELF = GuestImageTest.manifest(CpuMode.LONG, GuestManifest.ImageFormat.ELF, 0, 0, 4L << 20);

    /** Writes a byte, a 16-bit or a 64-bit value (biased to boundaries) at a random offset of {@code b}. */
    private static void mutate(Property.Gen gen, ByteBuffer b) {
        int width = gen.oneOf(List.of(1, 2, 8));
        if (b.capacity() < width) return;
        int at = gen.between(0, Math.min(400, b.capacity() - width));
        long value = gen.anyLong(56, 64, 0xFFFF, 0x100000, 0x200000, b.capacity());
        switch (width) {
            case 1 -> b.put(at, (byte) value);
            case 2 -> b.putShort(at, (short) value);
            default -> b.putLong(at, value);
        }
    }

    private static void loadsOrFailsTyped(GuestManifest manifest, byte[] file) {
        GuestImage image;
        try {
            image = GuestImage.load(manifest, file, "t.elf");
        } catch (InvalidGuestException expected) {
            assertTrue(expected.getMessage().startsWith("t.elf"), expected.getMessage());
            return;
        }
        image.check("again", manifest.memory()); // what loaded fits, and still does
    }

    @Test
    void randomBytesAreNeverMoreThanAnInvalidGuest() {
        Property.forAll(1000, gen -> loadsOrFailsTyped(ELF, gen.bytes(600)));
    }

    @Test
    void randomBytesBehindAnElfMagicAreNeverMoreThanAnInvalidGuest() {
        Property.forAll(1000, gen -> {
            byte[] tail = gen.bytes(600);
            byte[] file = new byte[4 + tail.length];
            file[0] = 0x7f; file[1] = 'E'; file[2] = 'L'; file[3] = 'F';
            System.arraycopy(tail, 0, file, 4, tail.length);
            loadsOrFailsTyped(ELF, file);
        });
    }

    @Test
    void mutatedSmallElfsLoadOrFailTyped() {
        Property.forAll(3000, gen -> {
            ByteBuffer b = ByteBuffer.wrap(new GuestImageTest.Elf().bytes()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = gen.between(1, 6); i > 0; i--) mutate(gen, b);
            loadsOrFailsTyped(ELF, b.array());
        });
    }

    @Test
    void mutatedBuiltInElfsLoadOrFailTyped() throws Exception {
        byte[] hello64 = GuestImageTest.builtIn("hello64.elf");
        Property.forAll(1000, gen -> {
            ByteBuffer b = ByteBuffer.wrap(hello64.clone()).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = gen.between(1, 6); i > 0; i--) mutate(gen, b);
            loadsOrFailsTyped(ELF, b.array());
        });
    }

    // ---- manifests ----

    private static final String VALID = """
            name = t
            mode = long
            image = t.bin
            format = flat
            load = 0x100000
            entry = 0x100000
            memory = 4M
            counter = 0x200000
            tsc-ring = 0x200000
            steal-time = 0x201000
            """;

    private static final List<String> VALUES = List.of("4M", "3K", "16G", "0", "-1", "1G", "1025M", "0x", "0xZZ",
            "99999999999999999999", "long", "real", "protected", "elf", "flat", "", "=", "#", "4097", "9223372036854775807K",
            "0x3ffff8", "0x3fffc0", "0x7fffffffffffffff", "0xffffffffffffffff", "0x201010", "0x5000", "0x4fff");

    private static void parsesOrFailsTyped(String text) {
        GuestManifest m;
        try {
            m = GuestManifest.parse(text, "t.manifest");
        } catch (InvalidGuestException expected) {
            assertTrue(expected.getMessage().startsWith("t.manifest"), expected.getMessage());
            return;
        }
        assertNull(GuestLayout.memoryProblem(m.memory()), "accepted memory " + m.memory());
        // Whatever parsed, loading a small image against it is a load or a typed failure too.
        try {
            GuestImage.load(m, new byte[64], "t.bin");
        } catch (InvalidGuestException expected) {
            assertTrue(expected.getMessage().startsWith("t.bin"), expected.getMessage());
        }
    }

    @Test
    void randomTextIsNeverMoreThanAnInvalidGuest() {
        Property.forAll(1000, gen -> parsesOrFailsTyped(gen.text(300)));
    }

    @Test
    void manifestsWithRandomValuesParseOrFailTyped() {
        Property.forAll(3000, gen -> {
            String[] lines = VALID.split("\n");
            for (int i = gen.between(1, 3); i > 0; i--) {
                int line = gen.between(0, lines.length - 1);
                String value = switch (gen.between(0, 3)) {
                    case 0 -> gen.text(12);
                    case 1 -> Long.toString(gen.anyLong());
                    case 2 -> "0x" + Long.toHexString(gen.anyLong(0x3ffff8, 0x400000, 0x100000));
                    default -> gen.oneOf(VALUES);
                };
                lines[line] = lines[line].substring(0, lines[line].indexOf('=') + 1) + " " + value;
            }
            parsesOrFailsTyped(String.join("\n", lines));
        });
    }

    @Test
    void manifestBytesMutatedParseOrFailTyped() {
        byte[] valid = VALID.getBytes(StandardCharsets.UTF_8);
        Property.forAll(1000, gen -> {
            byte[] raw = valid.clone();
            for (int i = gen.between(1, 4); i > 0; i--) raw[gen.between(0, raw.length - 1)] = (byte) gen.between(0, 255);
            parsesOrFailsTyped(new String(raw, StandardCharsets.UTF_8));
        });
    }
}
