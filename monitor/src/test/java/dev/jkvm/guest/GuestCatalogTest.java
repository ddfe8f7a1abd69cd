package dev.jkvm.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestCatalogTest {
    static final List<String> BUILT_INS = List.of(
            "hello", "hello32", "hello64", "spin", "io-ping", "tsc-probe", "triple-fault", "steal-spin", "exit-status", "tick", "duty", "serial-irq", "multiboot-info",
            "lock", "ap-count");

    @TempDir
    Path dir;

    @Test
    void builtInsComeInGuestsIndexOrder() throws IOException {
        List<String> names = GuestCatalog.builtIns().stream().map(GuestManifest::name).toList();
        assertEquals(GuestManifestTest.builtInNames(), names);
        // linux is listed last; its kernel comes from Debian's package (dev.jkvm.linux.LinuxGuests), so it is not in BUILT_INS
        assertEquals(java.util.stream.Stream.concat(BUILT_INS.stream(), java.util.stream.Stream.of("linux")).toList(), names);
    }

    @Test
    void everyBuiltInResolvesAndLoads() {
        for (String name : BUILT_INS) {
            GuestImage image = GuestCatalog.resolve(name);
            assertEquals(name, image.manifest().name());
            assertTrue(!image.segments().isEmpty(), name);
        }
        GuestImage hello = GuestCatalog.resolve("hello");
        assertEquals(CpuMode.REAL, hello.manifest().mode());
        assertEquals(0x8000, hello.entry());
        assertEquals(CpuMode.LONG, GuestCatalog.resolve("hello64").manifest().mode());
        assertEquals(GuestManifest.ImageFormat.ELF, GuestCatalog.resolve("hello64").manifest().format());
    }

    @Test
    void unknownNameListsTheBuiltIns() {
        UsageException e = assertThrows(UsageException.class, () -> GuestCatalog.resolve("nope"));
        assertTrue(e.getMessage().startsWith("unknown guest 'nope'"), e.getMessage());
        assertTrue(e.getMessage().contains(String.join(", ", BUILT_INS)), e.getMessage());
    }

    @Test
    void missingPathIsAUsageError() {
        Path missing = dir.resolve("missing.bin");
        UsageException e = assertThrows(UsageException.class, () -> GuestCatalog.resolve(missing.toString()));
        assertEquals("guest image not found: " + missing, e.getMessage());
    }

    @Test
    void flatImageWithoutManifestSaysWhichManifestToWrite() throws IOException {
        Path image = dir.resolve("mine.bin");
        Files.write(image, GuestImageTest.builtIn("hello.bin"));
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> GuestCatalog.resolve(image.toString()));
        assertTrue(e.getMessage().startsWith(image + " is a flat image without a manifest: write " + dir.resolve("mine.manifest")),
                e.getMessage());
    }

    @Test
    void flatImageWithSiblingManifestLoads() throws IOException {
        byte[] code = GuestImageTest.builtIn("hello.bin");
        Path image = dir.resolve("mine.bin");
        Files.write(image, code);
        Files.writeString(dir.resolve("mine.manifest"), "name = mine\nmode = real\nimage = mine.bin\nload = 0x8000\nmemory = 1M\n");
        GuestImage g = GuestCatalog.resolve(image.toString());
        assertEquals("mine", g.manifest().name());
        assertEquals(CpuMode.REAL, g.manifest().mode());
        assertEquals(1L << 20, g.manifest().memory());
        assertEquals(0x8000, g.entry());
        assertEquals(code.length, g.segments().get(0).bytes().length);
    }

    @Test
    void brokenSiblingManifestIsNamedInTheError() throws IOException {
        Path image = dir.resolve("mine.bin");
        Files.write(image, new byte[16]);
        Path manifest = dir.resolve("mine.manifest");
        Files.writeString(manifest, "name = mine\nmode = real\nimage = mine.bin\nspeed = fast\n");
        InvalidGuestException e = assertThrows(InvalidGuestException.class, () -> GuestCatalog.resolve(image.toString()));
        assertEquals(manifest + ":4: unknown key 'speed'", e.getMessage());
    }

    @Test
    void elfWithoutManifestLoadsInLongMode() throws IOException {
        Path image = dir.resolve("mine.elf");
        Files.write(image, GuestImageTest.builtIn("hello64.elf"));
        GuestImage g = GuestCatalog.resolve(image.toString());
        assertEquals(CpuMode.LONG, g.manifest().mode());
        assertEquals(GuestManifest.ImageFormat.ELF, g.manifest().format());
        assertEquals(4L << 20, g.manifest().memory());
        assertEquals("mine.elf", g.manifest().name());
        assertEquals(0x10001b, g.entry());
        assertEquals(2, g.segments().size());
    }

    @Test
    void aDeviceOrPipeGivenAsAFileIsSaidToBeOneNotMissing() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.jkvm.util.UsageException.class,
                () -> GuestCatalog.readBounded(java.nio.file.Path.of("/dev/zero"), "--initrd", 1 << 20));
        org.junit.jupiter.api.Assertions.assertEquals("--initrd /dev/zero is not a regular file (a device, pipe or socket); give a file", e.getMessage());
        var missing = org.junit.jupiter.api.Assertions.assertThrows(dev.jkvm.util.UsageException.class,
                () -> GuestCatalog.readBounded(java.nio.file.Path.of("/no/such/initrd"), "--initrd", 1 << 20));
        org.junit.jupiter.api.Assertions.assertEquals("--initrd file not found: /no/such/initrd", missing.getMessage());
    }
}
