package dev.jkvm.linux;

import dev.jkvm.guest.GuestCatalog;
import dev.jkvm.guest.GuestImage;
import dev.jkvm.guest.LinuxOptions;
import java.util.OptionalLong;

/** Resolves --guest with Linux in mind: the built-in {@code linux} guest here, everything else by {@link GuestCatalog}. */
public final class LinuxGuests {
    private LinuxGuests() {}

    public static GuestImage resolve(String nameOrPath, OptionalLong memory, LinuxOptions options) {
        return GuestCatalog.resolve(nameOrPath, memory, options);
    }
}
