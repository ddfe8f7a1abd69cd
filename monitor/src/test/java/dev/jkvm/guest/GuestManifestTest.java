package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class GuestManifestTest {
    private static final String SOURCE = "test.manifest";

    private static InvalidGuestException invalid(String text) {
        return assertThrows(InvalidGuestException.class, () -> GuestManifest.parse(text, SOURCE));
    }

    @Test
    void parsesEveryKeyOfAFullManifest() {
        GuestManifest m = GuestManifest.parse("""
                # a comment line
                name = probe          # trailing comment
                description = Long mode: does things = well
                mode = long
                image = probe.bin
                format = flat
                load = 0x100000
                entry = 0x100010
                memory = 8M
                arg = 42
                counter = 0x200000
                tsc-ring = 0x201000
                steal-time = 2101248
                expect-exit = status:7
                """, SOURCE);
        assertEquals("probe", m.name());
        assertEquals("Long mode: does things = well", m.description());
        assertEquals(CpuMode.LONG, m.mode());
        assertEquals("probe.bin", m.image());
        assertEquals(GuestManifest.ImageFormat.FLAT, m.format());
        assertEquals(0x100000, m.load());
        assertEquals(0x100010, m.entry());
        assertEquals(8L << 20, m.memory());
        assertEquals(OptionalLong.of(42), m.arg());
        assertEquals(OptionalLong.of(0x200000), m.counter());
        assertEquals(OptionalLong.of(0x201000), m.tscRing());
        assertEquals(OptionalLong.of(0x201000), m.stealTime());
        assertEquals("status:7", m.expectExit());
    }

    @Test
    void defaultsApplyToTheOptionalKeys() {
        GuestManifest real = GuestManifest.parse("name = r\nmode = real\nimage = r.bin\n", SOURCE);
        assertEquals(GuestManifest.ImageFormat.FLAT, real.format());
        assertEquals(GuestLayout.LOW_IMAGE, real.load());
        assertEquals(GuestLayout.LOW_IMAGE, real.entry(), "entry defaults to load");
        assertEquals(4L << 20, real.memory());
        assertEquals("", real.description());
        assertEquals("halt", real.expectExit());
        assertTrue(real.arg().isEmpty() && real.counter().isEmpty() && real.tscRing().isEmpty() && real.stealTime().isEmpty());

        GuestManifest lng = GuestManifest.parse("name = l\nmode = long\nimage = l.bin\n", SOURCE);
        assertEquals(GuestLayout.HIGH_IMAGE, lng.load());
        assertEquals(GuestLayout.HIGH_IMAGE, lng.entry());
    }

    @Test
    void elfManifestIgnoresLoadAndEntry() {
        GuestManifest m = GuestManifest.parse("name = e\nmode = long\nimage = e.elf\nformat = elf\n", SOURCE);
        assertEquals(GuestManifest.ImageFormat.ELF, m.format());
        assertEquals(0, m.load());
        assertEquals(0, m.entry());
    }

    @Test
    void windowsLineEndingsAreAccepted() {
        GuestManifest m = GuestManifest.parse("name = w\r\nmode = protected\r\nimage = w.bin\r\n", SOURCE);
        assertEquals("w", m.name());
        assertEquals(CpuMode.PROTECTED, m.mode());
    }

    static List<String> builtInNames() throws IOException {
        return List.of(resource("guests.index").split("\n")).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static String resource(String file) throws IOException {
        try (InputStream in = GuestManifestTest.class.getClassLoader().getResourceAsStream("dev/jkvm/guests/" + file)) {
            if (in == null) throw new IOException("missing test resource dev/jkvm/guests/" + file);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest
    @MethodSource("builtInNames")
    void everyBuiltInManifestParses(String name) throws IOException {
        GuestManifest m = GuestManifest.parse(resource(name + ".manifest"), name + ".manifest");
        assertEquals(name, m.name());
        assertFalse(m.description().isEmpty(), "built-in guests describe themselves");
        // linux's image is its initramfs's /init (linux-init); the kernel comes from Debian's package
        assertTrue(m.image().startsWith(name + ".") || m.format() == GuestManifest.ImageFormat.BZIMAGE && m.image().equals(name + "-init"), m.image());
    }

    @Test
    void unknownKeyNamesSourceLineAndKey() {
        InvalidGuestException e = invalid("name = x\nmode = long\n\ncolour = blue\nimage = x.bin\n");
        assertEquals(SOURCE + ":4: unknown key 'colour'", e.getMessage());
    }

    @Test
    void duplicateKeyNamesSourceLineAndKey() {
        InvalidGuestException e = invalid("name = x\nmode = long\nimage = x.bin\n# again\nmode = real\n");
        assertEquals(SOURCE + ":5: duplicate key 'mode'", e.getMessage());
    }

    @Test
    void lineWithoutEqualsSignIsRejectedWithItsLine() {
        InvalidGuestException e = invalid("name = x\nmode long\n");
        assertTrue(e.getMessage().startsWith(SOURCE + ":2: expected 'key = value'"), e.getMessage());
    }

    @Test
    void missingRequiredKeysAreNamed() {
        assertEquals(SOURCE + ": missing required key 'name'", invalid("mode = long\nimage = x.bin\n").getMessage());
        assertEquals(SOURCE + ": missing required key 'mode'", invalid("name = x\nimage = x.bin\n").getMessage());
        assertEquals(SOURCE + ": missing required key 'image'", invalid("name = x\nmode = long\n").getMessage());
        assertEquals(SOURCE + ": missing required key 'image'", invalid("name = x\nmode = long\nimage =\n").getMessage(),
                "an empty value counts as missing");
    }

    @Test
    void nonNumericAddressNamesTheKeyAndValue() {
        InvalidGuestException e = invalid("name = x\nmode = long\nimage = x.bin\nload = 0x10zz00\n");
        assertEquals(SOURCE + ": 'load' is not a number: '0x10zz00'", e.getMessage());
        assertTrue(invalid("name = x\nmode = long\nimage = x.bin\ncounter = lots\n").getMessage().contains("'counter'"));
        assertTrue(invalid("name = x\nmode = long\nimage = x.bin\narg = 1.5\n").getMessage().contains("'arg'"));
    }

    @Test
    void elfInAModeOtherThanLongIsRejected() {
        for (String mode : List.of("real", "protected")) {
            InvalidGuestException e = invalid("name = x\nmode = " + mode + "\nimage = x.elf\nformat = elf\n");
            assertEquals(SOURCE + ": ELF images are supported in long mode only", e.getMessage());
        }
    }

    @Test
    void unknownModeAndBadMemoryNameTheSource() {
        InvalidGuestException mode = invalid("name = x\nmode = virtual86\nimage = x.bin\n");
        assertTrue(mode.getMessage().startsWith(SOURCE + ": unknown mode 'virtual86'"), mode.getMessage());
        InvalidGuestException memory = invalid("name = x\nmode = long\nimage = x.bin\nmemory = lots\n");
        assertTrue(memory.getMessage().startsWith(SOURCE + ": not a size: 'lots'"), memory.getMessage());
    }

    @Test
    void unknownFormatNamesTheKey() {
        InvalidGuestException e = invalid("name = x\nmode = long\nimage = x.zip\nformat = zip\n");
        assertTrue(e.getMessage().startsWith(SOURCE + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("format"), e.getMessage());
        assertFalse(e.getMessage().contains("No enum constant"), e.getMessage());
    }
}
