package dev.jkvm.guest;

/**
 * Guest physical addresses the monitor and the built-in guests agree on (guests/README.md).
 * Everything below {@link #FIRST_IMAGE_BYTE} except the real-mode image area belongs to the monitor.
 */
public final class GuestLayout {
    /** Global descriptor table built by the monitor for protected and long mode (4 KiB). */
    public static final long GDT = 0x1000;
    /** Long-mode page tables: PML4, PDPT and one PD mapping the first 1 GiB with 2 MiB pages. */
    public static final long PML4 = 0x2000;
    public static final long PDPT = 0x3000;
    public static final long PD = 0x4000;
    /** End of the monitor's area (exclusive); images may not overlap [0, MONITOR_AREA_END). */
    public static final long MONITOR_AREA_END = 0x5000;
    /** The Multiboot information (structure, memory map, modules list, strings) for Multiboot kernels (8 KiB, to LOW_IMAGE). */
    public static final long MULTIBOOT_INFO = 0x6000;
    /** Real- and protected-mode images load and start here. */
    public static final long LOW_IMAGE = 0x8000;
    /** Long-mode images load and start here (1 MiB). */
    public static final long HIGH_IMAGE = 0x10_0000;
    /** Shared guest/monitor data (counters, rings) starts here (2 MiB). */
    public static final long SHARED_DATA = 0x20_0000;
    /** Identity mapping covers this much (1 GiB, 512 × 2 MiB pages). */
    public static final long IDENTITY_MAPPED = 1L << 30;
    /** Smallest guest memory jkvm accepts: room for the monitor area and an image. */
    public static final long MIN_MEMORY = 1L << 20;
    /** Largest guest memory jkvm accepts: what the identity map covers. */
    public static final long MAX_MEMORY = IDENTITY_MAPPED;
    /** The first byte an image may occupy. */
    public static final long FIRST_IMAGE_BYTE = MONITOR_AREA_END;
    /** Guest memory is mapped in whole pages. */
    public static final long PAGE = 4096;
    /** Header of a guest-published gap ring (tsc-ring): eight u64 (guests/README.md). */
    public static final long RING_HEADER_BYTES = 0x40;
    /** struct kvm_steal_time: 64 bytes, and KVM requires it 64-byte aligned. */
    public static final long STEAL_TIME_BYTES = 64;
    /**
     * The lock guest's statistics (lock-stats, guests/README.md): a header page, one page per vCPU
     * (up to {@link GuestManifest#MAX_VCPUS}), then the ring of contended acquisitions (4096 × 32 bytes).
     */
    public static final long LOCK_STATS_BYTES = 0x1000 + GuestManifest.MAX_VCPUS * 0x1000L + 4096 * 32;
    /**
     * Stack of each vCPU started directly at the entry point: vCPU i starts with RSP = top of memory
     * − i × this (vCPU 0 as before: the top of memory).
     */
    public static final long VCPU_STACK_BYTES = 16 << 10;

    /**
     * Why {@code bytes} cannot be a VM's memory, or null when it can. The same rule for the manifest's
     * {@code memory} and for {@code --memory}.
     */
    public static String memoryProblem(long bytes) {
        if (bytes % PAGE != 0) return "must be a multiple of 4 KiB";
        if (bytes < MIN_MEMORY || bytes > MAX_MEMORY) return "must be between 1M and 1G";
        return null;
    }

    private GuestLayout() {}
}
