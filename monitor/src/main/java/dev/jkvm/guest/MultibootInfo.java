package dev.jkvm.guest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Multiboot information structure a Multiboot kernel finds at EBX: memory sizes, a BIOS-style
 * memory map, the command line, the modules and the boot loader's name. Everything but the module
 * contents lives in the boot-info area [{@link GuestLayout#MULTIBOOT_INFO}, {@link GuestLayout#LOW_IMAGE})
 * below 640 KiB; modules follow the kernel's highest byte, page-aligned.
 */
public record MultibootInfo(List<GuestImage.Segment> segments, long infoAddress) {
    /** A module: its name (the string the kernel sees, typically a path and arguments) and contents. */
    public record Module(String name, byte[] bytes) {}

    static final int FLAG_MEMORY = 1, FLAG_CMDLINE = 1 << 2, FLAG_MODS = 1 << 3, FLAG_MMAP = 1 << 6, FLAG_LOADER_NAME = 1 << 9;
    static final int MMAP_AVAILABLE = 1, MMAP_RESERVED = 2;
    /** Conventional memory ends at 639 KiB (the EBDA above it), as a PC BIOS reports it. */
    static final long LOW_MEMORY_END = 0x9FC00;
    private static final int INFO_SIZE = 88, MMAP_OFFSET = 0x80, MODS_OFFSET = 0x100, STRINGS_OFFSET = 0x200;
    public static final int MAX_MODULES = 16;
    private static final long PAGE = 4096;
    private static final String LOADER_NAME = "jkvm";

    /**
     * Builds the structure for {@code kernel} in {@code memory} bytes of RAM. Fails with a clear message
     * when the kernel overlaps the boot-info area or the strings or modules do not fit.
     */
    public static MultibootInfo build(GuestImage kernel, long memory, String cmdline, List<Module> modules, String source) {
        long area = GuestLayout.MULTIBOOT_INFO, areaEnd = GuestLayout.LOW_IMAGE;
        long kernelEnd = 0;
        for (GuestImage.Segment s : kernel.segments()) {
            long end = s.address() + Math.max(s.bytes().length, s.memSize());
            if (s.address() < areaEnd && end > area) {
                throw new InvalidGuestException(String.format("%s: segment 0x%x-0x%x overlaps the Multiboot information at 0x%x-0x%x",
                        source, s.address(), end, area, areaEnd));
            }
            kernelEnd = Math.max(kernelEnd, end);
        }
        if (modules.size() > MAX_MODULES) throw new InvalidGuestException(source + ": more than " + MAX_MODULES + " Multiboot modules");
        int areaSize = (int) (areaEnd - area);
        ByteBuffer b = ByteBuffer.allocate(areaSize).order(ByteOrder.LITTLE_ENDIAN);
        int[] strings = {STRINGS_OFFSET};
        List<GuestImage.Segment> segments = new ArrayList<>();

        long[][] map = {
            {0, LOW_MEMORY_END, MMAP_AVAILABLE},
            {LOW_MEMORY_END, 0xA0000 - LOW_MEMORY_END, MMAP_RESERVED},
            {0xF0000, 0x10000, MMAP_RESERVED}, // the BIOS area, where a PC has its ROM
            {0x100000, memory - 0x100000, MMAP_AVAILABLE},
        };
        for (int i = 0; i < map.length; i++) {
            int at = MMAP_OFFSET + i * 24;
            b.putInt(at, 20); // size of the entry after this field
            b.putLong(at + 4, map[i][0]);
            b.putLong(at + 12, map[i][1]);
            b.putInt(at + 20, (int) map[i][2]);
        }

        long next = align(Math.max(kernelEnd, GuestLayout.HIGH_IMAGE), PAGE);
        for (int i = 0; i < modules.size(); i++) {
            Module m = modules.get(i);
            long start = next, end = start + m.bytes().length;
            if (end > memory) {
                throw new InvalidGuestException(String.format("%s: module %s (%d bytes) does not fit into %d KiB of guest memory (use --memory)",
                        source, m.name(), m.bytes().length, memory >> 10));
            }
            segments.add(new GuestImage.Segment(start, m.bytes(), m.bytes().length));
            int at = MODS_OFFSET + i * 16;
            b.putInt(at, (int) start);
            b.putInt(at + 4, (int) end);
            b.putInt(at + 8, (int) (area + string(b, strings, m.name(), source)));
            next = align(end, PAGE);
        }

        b.putInt(0, FLAG_MEMORY | FLAG_CMDLINE | FLAG_MODS | FLAG_MMAP | FLAG_LOADER_NAME);
        b.putInt(4, (int) (LOW_MEMORY_END >> 10));
        b.putInt(8, (int) ((memory - 0x100000) >> 10));
        b.putInt(16, (int) (area + string(b, strings, cmdline, source)));
        b.putInt(20, modules.size());
        b.putInt(24, (int) (area + MODS_OFFSET));
        b.putInt(44, map.length * 24);
        b.putInt(48, (int) (area + MMAP_OFFSET));
        b.putInt(64, (int) (area + string(b, strings, LOADER_NAME, source)));
        if (INFO_SIZE > MMAP_OFFSET) throw new AssertionError("info structure overlaps the memory map");
        segments.add(0, new GuestImage.Segment(area, b.array(), areaSize));
        return new MultibootInfo(List.copyOf(segments), area);
    }

    /** Appends a NUL-terminated string to the area; returns its offset. */
    private static int string(ByteBuffer b, int[] next, String s, String source) {
        byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
        int at = next[0];
        if (at + bytes.length + 1 > b.capacity()) {
            throw new InvalidGuestException(source + ": Multiboot command line and module names exceed " + (b.capacity() - STRINGS_OFFSET) + " bytes");
        }
        b.put(at, bytes);
        b.put(at + bytes.length, (byte) 0);
        next[0] = at + bytes.length + 1;
        return at;
    }

    private static long align(long v, long to) {
        return (v + to - 1) & -to;
    }
}
