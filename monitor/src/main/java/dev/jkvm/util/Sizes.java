package dev.jkvm.util;

import java.util.Locale;

/** Parses and prints byte sizes the way users write them: 4M, 512K, 2G, 4096. Binary units. */
public final class Sizes {
    private Sizes() {}

    public static long parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        if (s.endsWith("IB")) s = s.substring(0, s.length() - 2);
        else if (s.endsWith("B") && s.length() > 1) s = s.substring(0, s.length() - 1);
        long unit = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                default -> { }
            }
        }
        String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
        try {
            long n = Long.parseLong(digits.trim());
            if (n <= 0) throw new UsageException("size must be positive: '" + text + "'");
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new UsageException("not a size: '" + text + "' (examples: 4M, 512K, 1G)");
        }
    }

    public static String format(long bytes) {
        if (bytes % (1L << 30) == 0) return bytes / (1L << 30) + " GiB";
        if (bytes % (1L << 20) == 0) return bytes / (1L << 20) + " MiB";
        if (bytes % (1L << 10) == 0) return bytes / (1L << 10) + " KiB";
        return bytes + " B";
    }
}
