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
        OptionalLong tickRing,
        int vcpus,
        ApStart apStart,
        OptionalLong lockStats) {

    /** Most vCPUs a VM may have (a manifest's {@code vcpus} or {@code --vcpus}). */
    public static final int MAX_VCPUS = 64;

    /** BZIMAGE: an x86 Linux kernel, booted with an initrd and command line through boot_params ({@link LinuxBoot}). */
    public enum ImageFormat { FLAT, ELF, MULTIBOOT, BZIMAGE }

    /**
     * Interrupt machinery of the VM: NONE (no interrupt controllers; HLT exits to jkvm and ends the
     * guest) or KERNEL (KVM's PIC, IOAPIC, LAPIC and PIT; HLT sleeps in the kernel until an interrupt).
     */
    public enum Irqchip { NONE, KERNEL }

    /**
     * How a VM's application processors (vCPUs 1..K-1) start. DIRECT: each is set up like the
     * bootstrap processor (same mode and entry, its own stack, its index in RDX) and runs at once.
     * SIPI: each waits in KVM's wait-for-SIPI state until the guest sends it INIT and a start-up IPI
     * through the in-kernel local APIC, and then starts in real mode at the SIPI vector's page.
     * NONE: the guest runs on one vCPU only (its code is not written for more: serial-irq's APs took
     * its interrupts and the run never ended); more is a usage error.
     */
    public enum ApStart {
        DIRECT, SIPI, NONE;

        public String displayName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A manifest without interrupt controllers or tick ring: every guest before those existed. */
    public GuestManifest(String name, String description, CpuMode mode, String image, ImageFormat format, long load,
            long entry, long memory, OptionalLong arg, OptionalLong counter, OptionalLong tscRing,
            OptionalLong stealTime, String expectExit) {
        this(name, description, mode, image, format, load, entry, memory, arg, counter, tscRing, stealTime, expectExit,
                Irqchip.NONE, OptionalLong.empty(), 1, ApStart.DIRECT, OptionalLong.empty());
    }

    private static final Set<String> KNOWN_KEYS = Set.of(
            "name", "description", "mode", "image", "format", "load", "entry", "memory",
            "arg", "counter", "tsc-ring", "steal-time", "expect-exit", "irqchip", "tick-ring", "vcpus", "ap-start",
            "lock-stats");

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
            if (!expectExit.matches("halt|shutdown|never|status:\\d{1,10}")) {
                throw new InvalidGuestException(source + ": 'expect-exit' must be halt, shutdown, status:N or never, not '" + expectExit + "'");
            }
            if (irqchip == Irqchip.KERNEL && expectExit.equals("halt")) {
                // KVM's in-kernel LAPIC handles HLT itself (the vCPU sleeps), so jkvm never sees it.
                throw new InvalidGuestException(source + ": a guest with 'irqchip = kernel' cannot end with halt (HLT sleeps in KVM)"
                        + (kv.containsKey("expect-exit") ? "" : ", which 'expect-exit' means when left out") + "; set expect-exit = status:N or never");
            }
            long vcpus = kv.containsKey("vcpus") ? number(kv.get("vcpus"), "vcpus", source) : 1;
            if (vcpus < 1 || vcpus > MAX_VCPUS) {
                throw new InvalidGuestException(source + ": 'vcpus' must be 1 to " + MAX_VCPUS + ", got " + kv.get("vcpus"));
            }
            ApStart apStart = switch (kv.getOrDefault("ap-start", "direct")) {
                case "direct" -> ApStart.DIRECT;
                case "sipi" -> ApStart.SIPI;
                case "none" -> ApStart.NONE;
                default -> throw new InvalidGuestException(source + ": 'ap-start' must be direct, sipi or none, not '" + kv.get("ap-start") + "'");
            };
            if (apStart == ApStart.NONE && vcpus > 1) {
                throw new InvalidGuestException(source + ": 'ap-start = none' runs on one vCPU, but 'vcpus' is " + vcpus);
            }
            if (apStart == ApStart.SIPI && irqchip != Irqchip.KERNEL) {
                // INIT and SIPI are delivered by KVM's local APIC; without it nothing can start an AP.
                throw new InvalidGuestException(source + ": 'ap-start = sipi' needs the in-kernel local APIC ('irqchip = kernel')");
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
                    optional(kv, "tick-ring", source, true),
                    (int) vcpus,
                    apStart,
                    optional(kv, "lock-stats", source, true));
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
