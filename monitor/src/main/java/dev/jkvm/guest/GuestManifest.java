package dev.jkvm.guest;

import dev.jkvm.util.Sizes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What a guest image is and how to start it: the {@code <name>.manifest} beside every image.
 * Format: {@code key = value} lines, {@code #} comments. Keys are listed in guests/README.md.
 */
public record GuestManifest(
        String name,
        String description,
        CpuMode mode,
        String image,
        ImageFormat format,
        long load,
        long entry,
        long memory,
        OptionalLong arg,
        OptionalLong counter,
        OptionalLong tscRing,
        OptionalLong stealTime,
        String expectExit,
        Irqchip irqchip,
        OptionalLong tickRing) {

    /** BZIMAGE: an x86 Linux kernel, booted with an initrd and command line through boot_params ({@link LinuxBoot}). */
    public enum ImageFormat { FLAT, ELF, MULTIBOOT, BZIMAGE }

    /**
     * Interrupt machinery of the VM: NONE (no interrupt controllers; HLT exits to jkvm and ends the
     * guest) or KERNEL (KVM's PIC, IOAPIC, LAPIC and PIT; HLT sleeps in the kernel until an interrupt).
     */
    public enum Irqchip { NONE, KERNEL }

    /** A manifest without interrupt controllers or tick ring: every guest before those existed. */
    public GuestManifest(String name, String description, CpuMode mode, String image, ImageFormat format, long load,
            long entry, long memory, OptionalLong arg, OptionalLong counter, OptionalLong tscRing,
            OptionalLong stealTime, String expectExit) {
        this(name, description, mode, image, format, load, entry, memory, arg, counter, tscRing, stealTime, expectExit,
                Irqchip.NONE, OptionalLong.empty());
    }

    private static final Set<String> KNOWN_KEYS = Set.of(
            "name", "description", "mode", "image", "format", "load", "entry", "memory",
            "arg", "counter", "tsc-ring", "steal-time", "expect-exit", "irqchip", "tick-ring");

    /** Parses a manifest; {@code source} names it in error messages. */
    public static GuestManifest parse(String text, String source) {
        Map<String, String> kv = new LinkedHashMap<>();
        int lineNo = 0;
        for (String raw : text.split("\n", -1)) {
            lineNo++;
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            if (line.isEmpty()) continue;
            int eq = line.indexOf('=');
            if (eq <= 0) throw new InvalidGuestException(source + ":" + lineNo + ": expected 'key = value', found '" + line + "'");
            String key = line.substring(0, eq).strip();
            if (!KNOWN_KEYS.contains(key)) throw new InvalidGuestException(source + ":" + lineNo + ": unknown key '" + key + "'");
            if (kv.put(key, line.substring(eq + 1).strip()) != null) {
                throw new InvalidGuestException(source + ":" + lineNo + ": duplicate key '" + key + "'");
            }
        }
        try {
            String name = required(kv, "name", source);
            CpuMode mode = CpuMode.parse(required(kv, "mode", source));
            String image = required(kv, "image", source);
            ImageFormat format = switch (kv.getOrDefault("format", "flat").toLowerCase(java.util.Locale.ROOT)) {
                case "flat" -> ImageFormat.FLAT;
                case "elf" -> ImageFormat.ELF;
                case "multiboot" -> ImageFormat.MULTIBOOT;
                case "bzimage" -> ImageFormat.BZIMAGE;
                default -> throw new InvalidGuestException(source + ": 'format' must be flat, elf, multiboot or bzimage, not '" + kv.get("format") + "'");
            };
            if (format == ImageFormat.ELF && mode != CpuMode.LONG) {
                throw new InvalidGuestException(source + ": ELF images are supported in long mode only");
            }
            if (format == ImageFormat.MULTIBOOT && mode != CpuMode.PROTECTED) {
                throw new InvalidGuestException(source + ": Multiboot kernels start in protected mode ('mode = protected')");
            }
            if (format == ImageFormat.BZIMAGE && mode != CpuMode.LONG) {
                throw new InvalidGuestException(source + ": Linux kernels start at their 64-bit entry ('mode = long')");
            }
            long defaultLoad = mode == CpuMode.LONG ? GuestLayout.HIGH_IMAGE : GuestLayout.LOW_IMAGE;
            long load = format == ImageFormat.FLAT ? address(kv, "load", defaultLoad, source) : 0;
            long entry = format == ImageFormat.FLAT ? address(kv, "entry", load, source) : 0;
            long memory = kv.containsKey("memory") ? Sizes.parse(kv.get("memory")) : 4L << 20;
            String badMemory = GuestLayout.memoryProblem(memory);
            if (badMemory != null) throw new InvalidGuestException(source + ": 'memory' " + badMemory + ", got " + kv.get("memory"));
            Irqchip irqchip = switch (kv.getOrDefault("irqchip", "none")) {
                case "none" -> Irqchip.NONE;
                case "kernel" -> Irqchip.KERNEL;
                default -> throw new InvalidGuestException(source + ": 'irqchip' must be none or kernel, not '" + kv.get("irqchip") + "'");
            };
            String expectExit = kv.getOrDefault("expect-exit", "halt");
            if (irqchip == Irqchip.KERNEL && expectExit.equals("halt")) {
                // KVM's in-kernel LAPIC handles HLT itself (the vCPU sleeps), so jkvm never sees it.
                throw new InvalidGuestException(source + ": a guest with 'irqchip = kernel' cannot end with halt (HLT sleeps in KVM); use status:N or never");
            }
            return new GuestManifest(
                    name,
                    kv.getOrDefault("description", ""),
                    mode,
                    image,
                    format,
                    load,
                    entry,
                    memory,
                    optional(kv, "arg", source, false),
                    optional(kv, "counter", source, true),
                    optional(kv, "tsc-ring", source, true),
                    optional(kv, "steal-time", source, true),
                    expectExit,
                    irqchip,
                    optional(kv, "tick-ring", source, true));
        } catch (IllegalArgumentException | dev.jkvm.util.UsageException e) {
            if (e instanceof InvalidGuestException) throw e;
            throw new InvalidGuestException(source + ": " + e.getMessage());
        }
    }

    private static String required(Map<String, String> kv, String key, String source) {
        String v = kv.get(key);
        if (v == null || v.isEmpty()) throw new InvalidGuestException(source + ": missing required key '" + key + "'");
        return v;
    }

    private static long address(Map<String, String> kv, String key, long dflt, String source) {
        String v = kv.get(key);
        return v == null ? dflt : number(v, key, source);
    }

    private static OptionalLong optional(Map<String, String> kv, String key, String source, boolean isAddress) {
        String v = kv.get(key);
        return v == null ? OptionalLong.empty() : OptionalLong.of(number(v, key, source));
    }

    static long number(String v, String key, String source) {
        try {
            return v.startsWith("0x") || v.startsWith("0X") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new InvalidGuestException(source + ": '" + key + "' is not a number: '" + v + "'");
        }
    }
}
