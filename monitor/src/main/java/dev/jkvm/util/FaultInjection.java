package dev.jkvm.util;

/**
 * For tests of the monitor's failure paths only, never a user option: the system property
 * {@code jkvm.faultInjection=NAME:N:KIND} makes the helper or vCPU thread called NAME fail on its
 * N-th pass (the recorder's poll, a sampler's poll, a periodic hook's call, a vCPU's exit) with
 * KIND: {@code oom} throws an OutOfMemoryError, {@code stack} overflows the stack for real,
 * {@code runtime} throws an IllegalStateException. The property is read once; without it every
 * point is {@link #NONE}, whose {@link Point#pass} does nothing.
 */
public final class FaultInjection {
    private static final String PROPERTY = "jkvm.faultInjection";
    private static final String[] SPEC = parse(System.getProperty(PROPERTY));

    private FaultInjection() {}

    /** A place that may fail: {@link #pass} is called once per iteration of its loop. */
    public static class Point {
        private final long failAt;
        private final String kind;
        private long passes;

        private Point(long failAt, String kind) {
            this.failAt = failAt;
            this.kind = kind;
        }

        /** Counts one pass; fails on the configured one. Not thread-safe: one point per thread. */
        public void pass() {
            if (failAt <= 0 || ++passes != failAt) return;
            String why = "injected by -D" + PROPERTY;
            switch (kind) {
                case "stack" -> overflow(0);
                case "runtime" -> throw new IllegalStateException(why);
                default -> throw new OutOfMemoryError(why);
            }
        }

        private static long overflow(long depth) {
            return overflow(depth + 1) + 1;
        }
    }

    public static final Point NONE = new Point(0, "");

    /** The point for the thread or helper called {@code name}: {@link #NONE} unless the property names it. */
    public static Point at(String name) {
        if (SPEC == null || !SPEC[0].equals(name)) return NONE;
        return new Point(Long.parseLong(SPEC[1]), SPEC[2]);
    }

    private static String[] parse(String spec) {
        if (spec == null) return null;
        String[] parts = spec.split(":");
        if (parts.length != 3 || !parts[1].matches("[1-9][0-9]{0,17}") || !parts[2].matches("oom|stack|runtime")) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=NAME:N:oom|stack|runtime, got '" + spec + "'");
        }
        return parts;
    }
}
