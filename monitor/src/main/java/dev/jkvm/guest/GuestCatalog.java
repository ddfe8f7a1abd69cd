package dev.jkvm.guest;

import dev.jkvm.util.IoErrors;
import dev.jkvm.util.Sizes;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Finds guests: the built-in ones packaged by the guests module (listed in guests.index), or a user's
 * own image given by path. A user's flat image needs a manifest beside it ({@code foo.bin} →
 * {@code foo.manifest}); an ELF64 executable without one runs in long mode with 4 MiB of memory.
 */
public final class GuestCatalog {
    private static final String RESOURCE_DIR = "dev/jkvm/guests/";

    private GuestCatalog() {}

    /** The built-in guests in catalogue order. */
    public static List<GuestManifest> builtIns() {
        List<GuestManifest> all = new ArrayList<>();
        for (String line : resourceText("guests.index").split("\n")) {
            String name = line.strip();
            if (!name.isEmpty()) all.add(builtInManifest(name));
        }
        return all;
    }

    /** Guest memory for a Multiboot kernel given without a manifest (test kernels link at 4 MiB and want room above). */
    static final long MULTIBOOT_MEMORY = 64L << 20;

    /** Resolves a built-in name or a path to an image, checked against the manifest's memory. */
    public static GuestImage resolve(String nameOrPath) {
        return resolve(nameOrPath, OptionalLong.empty());
    }

    /**
     * Resolves a built-in name or a path to an image, checked against {@code memory} bytes of guest
     * RAM when given (--memory), else against the manifest's memory.
     */
    public static GuestImage resolve(String nameOrPath, OptionalLong memory) {
        return resolve(nameOrPath, memory, LinuxOptions.NONE);
    }

    /** As {@link #resolve(String, OptionalLong)}, with the initrd and command line a Linux kernel gets. */
    public static GuestImage resolve(String nameOrPath, OptionalLong memory, LinuxOptions linux) {
        if (!nameOrPath.contains("/") && !nameOrPath.contains(".")) {
            GuestManifest m = builtInManifestOrNull(nameOrPath);
            if (m == null) {
                throw new UsageException("unknown guest '" + nameOrPath + "' (built-in guests: "
                        + String.join(", ", builtIns().stream().map(GuestManifest::name).toList())
                        + "; or give a path to an image)");
            }
            if (m.format() == GuestManifest.ImageFormat.BZIMAGE) {
                throw new IllegalStateException("the built-in guest " + m.name() + " is resolved by dev.jkvm.linux.LinuxGuests");
            }
            return GuestImage.load(m, resourceBytes(m.image()), "built-in guest " + m.name(), memory.orElse(m.memory()));
        }
        return fromPath(Path.of(nameOrPath), memory, linux);
    }

    static GuestImage fromPath(Path image) {
        return fromPath(image, OptionalLong.empty());
    }

    /** The largest manifest read: a few hundred bytes is normal, anything near this is not a manifest. */
    static final int MAX_MANIFEST_BYTES = 64 << 10;

    static GuestImage fromPath(Path image, OptionalLong memory) {
        return fromPath(image, memory, LinuxOptions.NONE);
    }

    /** Guest memory for a Linux kernel given without a manifest: room for a distribution kernel to decompress and run. */
    public static final long LINUX_MEMORY = 256L << 20;

    /** The manifest of a Linux kernel: 64-bit entry, the in-kernel irqchip and PIT, {@link #LINUX_MEMORY}. */
    public static GuestManifest linuxManifest(String name, String description) {
        return new GuestManifest(name, description, CpuMode.LONG, name, GuestManifest.ImageFormat.BZIMAGE, 0, 0, LINUX_MEMORY,
                OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), "status:0",
                GuestManifest.Irqchip.KERNEL, OptionalLong.empty(), 1, GuestManifest.ApStart.SIPI, OptionalLong.empty());
    }

    /** A Linux kernel with the initrd and command line of {@code options}, laid out for {@code memory} bytes of RAM. */
    public static GuestImage linux(GuestManifest manifest, byte[] kernel, String source, LinuxOptions options, long memory) {
        BzImage bz = BzImage.parse(kernel, source);
        byte[] initrd = options.initrdBytes().orElse(new byte[0]);
        if (options.initrd().isPresent()) initrd = readBounded(options.initrd().get(), "--initrd", memory);
        if (options.vmlinux().isPresent()) {
            Path file = options.vmlinux().get();
            GuestImage vmlinux = ElfImage.parse(manifest, readBounded(file, "vmlinux", memory), file.toString());
            GuestImage image = LinuxBoot.buildDecompressed(bz, vmlinux, initrd, options.cmdline(), memory, source).image(manifest);
            image.check(source, memory);
            return image;
        }
        return GuestImage.bootLinux(manifest, bz, initrd, options.cmdline(), memory, source);
    }

    /** Reads a file the user named, refusing one larger than {@code limit} before reading it. */
    public static byte[] readBounded(Path file, String what, long limit) {
        if (Files.isDirectory(file)) throw new UsageException(what + " " + file + " is a directory; give a file");
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new UsageException(what + " " + file + " is not a regular file (a device, pipe or socket); give a file");
        }
        if (!Files.isRegularFile(file)) throw new UsageException(what + " file not found: " + file);
        try {
            long size = Files.size(file);
            if (size >= limit) {
                throw new InvalidGuestException(String.format("%s %s is %d bytes, larger than the VM's %s of RAM (use --memory)",
                        what, file, size, Sizes.format(limit)));
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UsageException("cannot read " + what + " " + file + ": " + IoErrors.reason(e));
        }
    }

    static GuestImage fromPath(Path image, OptionalLong memory, LinuxOptions linux) {
        if (Files.isDirectory(image)) throw new UsageException("guest image " + image + " is a directory; give the image file inside it");
        if (!Files.exists(image)) throw new UsageException("guest image not found: " + image);
        if (!Files.isRegularFile(image)) throw new UsageException("guest image " + image + " is not a regular file");
        Path manifestPath = siblingManifest(image);
        GuestManifest manifest = Files.isRegularFile(manifestPath) ? readManifest(manifestPath) : null;
        // Bound what is read before reading it: a flat image must fit into guest memory, an ELF file
        // into the largest guest memory (its sections beyond PT_LOAD are not loaded).
        long limit = manifest != null && manifest.format() == GuestManifest.ImageFormat.FLAT
                ? memory.orElse(manifest.memory()) : GuestLayout.MAX_MEMORY;
        long size;
        try {
            size = Files.size(image);
        } catch (IOException e) {
            throw new UsageException("cannot read guest image " + image + ": " + IoErrors.reason(e));
        }
        if (size > limit) {
            throw new InvalidGuestException(String.format("guest image %s is %d bytes, more than the %s of guest memory it must fit into%s",
                    image, size, Sizes.format(limit), limit < GuestLayout.MAX_MEMORY ? " (use --memory)" : ""));
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(image);
        } catch (IOException e) {
            throw new UsageException("cannot read guest image " + image + ": " + IoErrors.reason(e));
        } catch (OutOfMemoryError e) {
            throw new UsageException("guest image " + image + " (" + size + " bytes) does not fit into jkvm's heap; give the JVM more (-Xmx) or use a smaller image");
        }
        if (manifest == null && BzImage.looksLikeBzImage(bytes)) {
            return linux(linuxManifest(image.getFileName().toString(), "user Linux kernel " + image), bytes, image.toString(), linux,
                    memory.orElse(LINUX_MEMORY));
        }
        if (manifest != null && manifest.format() == GuestManifest.ImageFormat.BZIMAGE) {
            return linux(manifest, bytes, image.toString(), linux, memory.orElse(manifest.memory()));
        }
        if (linux.initrd().isPresent()) {
            throw new UsageException("--initrd is for Linux kernels, and " + image + " is not a bzImage");
        }
        if (manifest == null) {
            String name = image.getFileName().toString();
            if (MultibootImage.findHeader(bytes).isPresent() && !(ElfImage.looksLikeElf(bytes) && bytes.length > 4 && bytes[4] == 2)) {
                // A Multiboot kernel (ELF32, or any file whose header gives its load addresses), e.g. a kvm-unit-tests
                // test. Such kernels expect a PC's interrupt controllers (kvm-unit-tests programs the LAPIC) and end
                // through port 0xf4, not by halting.
                manifest = new GuestManifest(name, "user Multiboot image " + image, CpuMode.PROTECTED, name,
                        GuestManifest.ImageFormat.MULTIBOOT, 0, 0, MULTIBOOT_MEMORY, OptionalLong.empty(), OptionalLong.empty(),
                        OptionalLong.empty(), OptionalLong.empty(), "status:1", GuestManifest.Irqchip.KERNEL, OptionalLong.empty(),
                        1, GuestManifest.ApStart.DIRECT, OptionalLong.empty());
            } else if (ElfImage.looksLikeElf(bytes)) {
                manifest = new GuestManifest(name, "user ELF64 image " + image, CpuMode.LONG, name,
                        GuestManifest.ImageFormat.ELF, 0, 0, 4L << 20, OptionalLong.empty(), OptionalLong.empty(),
                        OptionalLong.empty(), OptionalLong.empty(), "halt");
            } else {
                throw new InvalidGuestException(image + " is a flat image without a manifest: write " + manifestPath
                        + " (mode, load, entry, memory; see guests/README.md) or give an ELF64 executable or a Multiboot kernel");
            }
        }
        return GuestImage.load(manifest, bytes, image.toString(), memory.orElse(manifest.memory()));
    }

    private static GuestManifest readManifest(Path manifestPath) {
        byte[] raw;
        try {
            if (Files.size(manifestPath) > MAX_MANIFEST_BYTES) {
                throw new InvalidGuestException(manifestPath + ": larger than " + (MAX_MANIFEST_BYTES >> 10) + " KiB, not a guest manifest");
            }
            raw = Files.readAllBytes(manifestPath);
        } catch (IOException e) {
            throw new UsageException("cannot read " + manifestPath + ": " + IoErrors.reason(e));
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(raw)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new InvalidGuestException(manifestPath + ": not a text manifest (not UTF-8); expected 'key = value' lines, see guests/README.md");
        }
        return GuestManifest.parse(text, manifestPath.toString());
    }

    /** The manifest a user's image {@code foo.bin} has beside it: {@code foo.manifest}. */
    public static Path siblingManifest(Path image) {
        String file = image.getFileName().toString();
        int dot = file.lastIndexOf('.');
        String base = dot > 0 ? file.substring(0, dot) : file;
        return image.resolveSibling(base + ".manifest");
    }

    /** The manifest of a built-in guest by name. */
    public static GuestManifest builtInManifest(String name) {
        GuestManifest m = builtInManifestOrNull(name);
        if (m == null) throw new IllegalStateException("guests.index names '" + name + "' but its manifest is missing from the jar");
        return m;
    }

    private static GuestManifest builtInManifestOrNull(String name) {
        try (InputStream in = GuestCatalog.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + name + ".manifest")) {
            if (in == null) return null;
            return GuestManifest.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), RESOURCE_DIR + name + ".manifest");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String resourceText(String file) {
        return new String(resourceBytes(file), StandardCharsets.UTF_8);
    }

    private static byte[] resourceBytes(String file) {
        try (InputStream in = GuestCatalog.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + file)) {
            if (in == null) throw new IllegalStateException("built-in guest resource missing: " + RESOURCE_DIR + file + " (is jkvm-guests on the class path?)");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
