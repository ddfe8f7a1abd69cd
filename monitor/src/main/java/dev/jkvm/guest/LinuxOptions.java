package dev.jkvm.guest;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What a Linux kernel is booted with besides itself: an initrd (a file the user named, or bytes jkvm
 * wrote), the full command line ({@link LinuxBoot#DEFAULT_CMDLINE} followed by what the user added),
 * and optionally the kernel already decompressed (vmlinux, the ELF inside the bzImage), loaded
 * instead of the bzImage's self-decompressing code.
 */
public record LinuxOptions(Optional<Path> initrd, Optional<byte[]> initrdBytes, String cmdline, Optional<Path> vmlinux) {
    public static final LinuxOptions NONE = new LinuxOptions(Optional.empty(), Optional.empty(), LinuxBoot.DEFAULT_CMDLINE, Optional.empty());

    public LinuxOptions(Optional<Path> initrd, Optional<byte[]> initrdBytes, String cmdline) {
        this(initrd, initrdBytes, cmdline, Optional.empty());
    }

    /** The default command line followed by {@code extra} (nothing added when blank). */
    public static String cmdline(String extra) {
        return extra == null || extra.isBlank() ? LinuxBoot.DEFAULT_CMDLINE : LinuxBoot.DEFAULT_CMDLINE + " " + extra.strip();
    }
}
