package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/**
 * The ELF and manifest loaders on random and mutated inputs: they load, or they fail with
 * {@link InvalidGuestException} (a one-line usage error) — never with any other exception, and a
 * loaded image always passes its own fit check.
 */
class LoaderPropertiesTest {
    private static final GuestManifest ELF = GuestImageTest.manifest(CpuMode.LONG, GuestManifest.ImageFormat.ELF, 0, 0, 4L << 20);

    /** One mutation of a file: a byte, a 16-bit or a 64-bit value written at an offset. */
    record Mutation(int offset, int width, long value) {
        void apply(ByteBuffer b) {
            int at = Math.floorMod(offset, Math.max(1, b.capacity() - width + 1));
            if (at + width > b.capacity()) return;
            switch (width) {
                case 1 -> b.put(at, (byte) value);
                case 2 -> b.putShort(at, (short) value);
                default -> b.putLong(at, value);
            }
        }
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        Arbitrary<Long> values = Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.longs().between(-2, 0x200000),
                Arbitraries.of(0L, 1L, 56L, 64L, 0xFFFFL, Long.MAX_VALUE, Long.MIN_VALUE, 0x7fffffffL, 0x100000L));
        return Combinators.combine(Arbitraries.integers().between(0, 400), Arbitraries.of(1, 2, 8), values).as(Mutation::new);
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

    @Property(tries = 1000)
    void randomBytesAreNeverMoreThanAnInvalidGuest(@ForAll @Size(max = 600) byte[] file) {
        loadsOrFailsTyped(ELF, file);
    }

    @Property(tries = 1000)
    void randomBytesBehindAnElfMagicAreNeverMoreThanAnInvalidGuest(@ForAll @Size(min = 0, max = 600) byte[] tail) {
        byte[] file = new byte[4 + tail.length];
        file[0] = 0x7f; file[1] = 'E'; file[2] = 'L'; file[3] = 'F';
        System.arraycopy(tail, 0, file, 4, tail.length);
        loadsOrFailsTyped(ELF, file);
    }

    @Property(tries = 2000)
    void mutatedSmallElfsLoadOrFailTyped(@ForAll @Size(min = 1, max = 6) List<@net.jqwik.api.From("mutations") Mutation> changes) {
        ByteBuffer b = ByteBuffer.wrap(new GuestImageTest.Elf().bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (Mutation m : changes) m.apply(b);
        loadsOrFailsTyped(ELF, b.array());
    }

    @Property(tries = 500)
    void mutatedBuiltInElfsLoadOrFailTyped(@ForAll @Size(min = 1, max = 6) List<@net.jqwik.api.From("mutations") Mutation> changes)
            throws IOException {
        ByteBuffer b = ByteBuffer.wrap(GuestImageTest.builtIn("hello64.elf")).order(ByteOrder.LITTLE_ENDIAN);
        for (Mutation m : changes) m.apply(b);
        loadsOrFailsTyped(ELF, b.array());
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

    private static void parsesOrFailsTyped(String text) {
        GuestManifest m;
        try {
            m = GuestManifest.parse(text, "t.manifest");
        } catch (InvalidGuestException expected) {
            assertTrue(expected.getMessage().startsWith("t.manifest"), expected.getMessage());
            return;
        }
        assertTrue(GuestLayout.memoryProblem(m.memory()) == null, "accepted memory " + m.memory());
        // Whatever parsed, loading a small image against it is a load or a typed failure too.
        try {
            GuestImage.load(m, new byte[64], "t.bin");
        } catch (InvalidGuestException expected) {
            assertTrue(expected.getMessage().startsWith("t.bin"), expected.getMessage());
        }
    }

    @Property(tries = 1000)
    void randomTextIsNeverMoreThanAnInvalidGuest(@ForAll @Size(max = 300) String text) {
        parsesOrFailsTyped(text);
    }

    @Provide
    Arbitrary<String> values() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(12),
                Arbitraries.longs().map(v -> Long.toString(v)),
                Arbitraries.longs().map(v -> "0x" + Long.toHexString(v)),
                Arbitraries.of("4M", "3K", "16G", "0", "-1", "1G", "1025M", "0x", "0xZZ", "99999999999999999999", "long", "real",
                        "elf", "flat", "", "=", "#", "4097", "9223372036854775807K"));
    }

    @Property(tries = 2000)
    void manifestsWithRandomValuesParseOrFailTyped(
            @ForAll @IntRange(min = 0, max = 9) int line,
            @ForAll("values") String value,
            @ForAll @IntRange(min = 0, max = 9) int line2,
            @ForAll("values") String value2) {
        String[] lines = VALID.split("\n");
        lines[line] = lines[line].substring(0, lines[line].indexOf('=') + 1) + " " + value;
        lines[line2] = lines[line2].substring(0, lines[line2].indexOf('=') + 1) + " " + value2;
        parsesOrFailsTyped(String.join("\n", lines));
    }

    @Property(tries = 500)
    void manifestBytesMutatedParseOrFailTyped(@ForAll @LongRange(min = 0, max = 1000) long seed, @ForAll @Size(min = 1, max = 4) List<@IntRange(min = 0, max = 255) Integer> bytes) {
        byte[] raw = VALID.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.size(); i++) raw[(int) ((seed * 31 + i * 97) % raw.length)] = (byte) (int) bytes.get(i);
        parsesOrFailsTyped(new String(raw, StandardCharsets.UTF_8));
    }
}
