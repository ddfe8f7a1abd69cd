package dev.jkvm.guest;

import java.util.Locale;

/** The CPU mode the monitor sets up before a guest's first instruction. */
public enum CpuMode {
    /** 16-bit real mode, CS base 0. */
    REAL,
    /** 32-bit protected mode, flat segments, no paging. */
    PROTECTED,
    /** 64-bit long mode, identity-mapped with 2 MiB pages. */
    LONG;

    public static CpuMode parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "real", "real16" -> REAL;
            case "protected", "protected32", "pm32" -> PROTECTED;
            case "long", "long64" -> LONG;
            default -> throw new IllegalArgumentException("unknown mode '" + s + "' (real, protected or long)");
        };
    }

    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
