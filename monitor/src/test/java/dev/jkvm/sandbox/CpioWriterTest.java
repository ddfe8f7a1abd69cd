package dev.jkvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Writes archives and parses them back with an independent newc reader. */
class CpioWriterTest {

    /** One parsed entry with every header field. */
    record Entry(long ino, long mode, long uid, long gid, long nlink, long mtime, long filesize,
                 long devmajor, long devminor, long rdevmajor, long rdevminor, long namesize, long check,
                 String name, byte[] data, int headerOffset) {}

    static List<Entry> parse(byte[] archive) {
        List<Entry> entries = new ArrayList<>();
        int pos = 0;
        while (true) {
            assertEquals(0, pos % 4, "every header starts 4-aligned");
            String magic = new String(archive, pos, 6, StandardCharsets.US_ASCII);
            assertEquals("070701", magic);
            long[] f = new long[13];
            for (int i = 0; i < 13; i++) {
                String hex = new String(archive, pos + 6 + 8 * i, 8, StandardCharsets.US_ASCII);
                assertTrue(hex.matches("[0-9A-F]{8}"), "field " + i + " is 8 upper-case hex digits: " + hex);
                f[i] = Long.parseLong(hex, 16);
            }
            int nameStart = pos + 110;
            int nameSize = (int) f[11];
            assertEquals(0, archive[nameStart + nameSize - 1], "name is NUL-terminated");
            String name = new String(archive, nameStart, nameSize - 1, StandardCharsets.UTF_8);
            int dataStart = align(nameStart + nameSize);
            for (int i = nameStart + nameSize; i < dataStart; i++) assertEquals(0, archive[i], "name padding is zeros");
            byte[] data = Arrays.copyOfRange(archive, dataStart, dataStart + (int) f[6]);
            int next = align(dataStart + (int) f[6]);
            for (int i = dataStart + (int) f[6]; i < next; i++) assertEquals(0, archive[i], "data padding is zeros");
            entries.add(new Entry(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], name, data, pos));
            pos = next;
            if (name.equals("TRAILER!!!")) {
                assertEquals(archive.length, pos, "nothing after the trailer");
                return entries;
            }
        }
    }

    private static int align(int n) {
        return (n + 3) & ~3;
    }

    @Test
    void writesNewcEntriesThatParseBack() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] payload = "hello, initramfs\n".getBytes(StandardCharsets.UTF_8); // 17 bytes: needs padding
        try (CpioWriter cpio = new CpioWriter(bytes)) {
            cpio.directory("/bin", 0755);
            cpio.file("bin/hello.txt", 0644, payload);
            cpio.file("init", 0755, new byte[0]);
            cpio.symlink("bin/sh", "busybox");
            cpio.charDevice("dev/console", 0600, 5, 1);
        }
        List<Entry> e = parse(bytes.toByteArray());
        assertEquals(List.of("bin", "bin/hello.txt", "init", "bin/sh", "dev/console", "TRAILER!!!"), e.stream().map(Entry::name).toList());

        Entry dir = e.get(0);
        assertEquals(CpioWriter.S_IFDIR | 0755, dir.mode());
        assertEquals(2, dir.nlink());
        assertEquals(0, dir.filesize());

        Entry file = e.get(1);
        assertEquals(CpioWriter.S_IFREG | 0644, file.mode());
        assertEquals(payload.length, file.filesize());
        assertArrayEquals(payload, file.data());
        assertEquals("bin/hello.txt".length() + 1, file.namesize());
        assertEquals(0, file.uid());
        assertEquals(0, file.gid());
        assertEquals(0, file.mtime(), "fixed times keep the archive reproducible");
        assertEquals(0, file.check());

        Entry link = e.get(3);
        assertEquals(CpioWriter.S_IFLNK | 0777, link.mode());
        assertEquals("busybox", new String(link.data(), StandardCharsets.UTF_8));

        Entry console = e.get(4);
        assertEquals(CpioWriter.S_IFCHR | 0600, console.mode());
        assertEquals(5, console.rdevmajor());
        assertEquals(1, console.rdevminor());

        Entry trailer = e.get(5);
        assertEquals(0, trailer.filesize());
        assertEquals(0, trailer.mode());

        assertEquals(e.stream().limit(5).map(Entry::ino).distinct().count(), 5, "inode numbers are unique");
    }

    @Test
    void sameInputsGiveSameBytes() throws IOException {
        assertArrayEquals(sample(), sample());
    }

    private static byte[] sample() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CpioWriter cpio = new CpioWriter(bytes)) {
            cpio.directory("etc", 0755);
            cpio.file("etc/x", 0600, new byte[] {1, 2, 3});
        }
        return bytes.toByteArray();
    }

    @Test
    void rejectsEntriesAfterFinishAndBadNames() throws IOException {
        CpioWriter cpio = new CpioWriter(new ByteArrayOutputStream());
        assertThrows(IllegalArgumentException.class, () -> cpio.file("/", 0644, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> cpio.file("TRAILER!!!", 0644, new byte[0]));
        cpio.finish();
        assertThrows(IllegalStateException.class, () -> cpio.directory("late", 0755));
    }

    @Test
    void initramfsHoldsInitBusyboxModulesAndConsole() throws IOException {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("jkvm-cpio-test");
        try {
            java.nio.file.Path busybox = java.nio.file.Files.write(dir.resolve("busybox"), new byte[] {0x7f, 'E', 'L', 'F'});
            java.nio.file.Path ko = java.nio.file.Files.write(dir.resolve("kvm.ko"), new byte[] {9, 9, 9, 9, 9});
            java.nio.file.Path out = dir.resolve("initramfs.cpio");
            List<Initramfs.Module> modules = List.of(new Initramfs.Module("kvm", ko), new Initramfs.Module("kvm-amd", ko));
            Initramfs.write(out, busybox, modules, "#!/bin/busybox sh\n");
            List<Entry> e = parse(java.nio.file.Files.readAllBytes(out));
            List<String> names = e.stream().map(Entry::name).toList();
            assertTrue(names.containsAll(List.of("init", "bin/busybox", "dev/console", "lib/modules/kvm.ko", "lib/modules/kvm-amd.ko", "etc/jkvm/modules")), names.toString());
            Entry order = e.stream().filter(x -> x.name().equals("etc/jkvm/modules")).findFirst().orElseThrow();
            assertEquals("kvm\nkvm-amd\n", new String(order.data(), StandardCharsets.UTF_8));
            Entry init = e.stream().filter(x -> x.name().equals("init")).findFirst().orElseThrow();
            assertEquals(CpioWriter.S_IFREG | 0755, init.mode());

            String key1 = Initramfs.cacheKey("6.1.0-1-amd64", busybox, modules, "a");
            assertEquals(key1, Initramfs.cacheKey("6.1.0-1-amd64", busybox, modules, "a"));
            assertTrue(!key1.equals(Initramfs.cacheKey("6.1.0-2-amd64", busybox, modules, "a")), "kernel release is part of the key");
            assertTrue(!key1.equals(Initramfs.cacheKey("6.1.0-1-amd64", busybox, modules, "b")), "init script is part of the key");
            java.nio.file.Files.write(busybox, new byte[] {1});
            assertTrue(!key1.equals(Initramfs.cacheKey("6.1.0-1-amd64", busybox, modules, "a")), "busybox is part of the key");
        } finally {
            SandboxAssets.deleteTree(dir);
        }
    }
}
