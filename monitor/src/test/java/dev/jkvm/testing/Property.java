package dev.jkvm.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * A small property-test harness: runs a check on many generated inputs from a seeded
 * {@link Random}, and on a failure names the seed and the try so the failing input can be
 * regenerated ({@code -Djkvm.propertySeed=S}). No shrinking: the generators below favour small and
 * boundary values, so failing inputs are usually readable as they are.
 */
public final class Property {
    private Property() {}

    /** A check of one generated input. */
    public interface Check {
        void run(Gen gen) throws Exception;
    }

    /** Runs {@code check} {@code tries} times; the seed is fixed by -Djkvm.propertySeed or chosen per run and reported on failure. */
    public static void forAll(int tries, Check check) {
        long seed = Long.getLong("jkvm.propertySeed", System.nanoTime());
        Random seeds = new Random(seed);
        for (int i = 0; i < tries; i++) {
            long trySeed = seeds.nextLong();
            try {
                check.run(new Gen(new Random(trySeed)));
            } catch (Throwable t) {
                AssertionError e = new AssertionError("property failed on try " + i + " of " + tries
                        + " (rerun with -Djkvm.propertySeed=" + seed + "): " + t, t);
                throw e;
            }
        }
    }

    /** Generators over one {@link Random}. */
    public static final class Gen {
        private final Random r;

        Gen(Random r) {
            this.r = r;
        }

        public Random random() {
            return r;
        }

        public boolean bool() {
            return r.nextBoolean();
        }

        /** Uniform in [min, max]. */
        public int between(int min, int max) {
            return min + r.nextInt(max - min + 1);
        }

        /** Any long, with a bias towards boundaries and small values (where bounds checks fail). */
        public long anyLong(long... interesting) {
            return switch (r.nextInt(6)) {
                case 0 -> r.nextLong();
                case 1 -> r.nextLong(-3, 70_000);
                case 2 -> new long[] {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE, 0xFFFF_FFFFL}[r.nextInt(7)];
                case 3 -> interesting.length == 0 ? r.nextLong() : interesting[r.nextInt(interesting.length)];
                case 4 -> 1L << r.nextInt(63);
                default -> (1L << r.nextInt(63)) + r.nextInt(3) - 1;
            };
        }

        public int anyInt() {
            return r.nextInt(4) == 0 ? new int[] {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}[r.nextInt(5)] : r.nextInt();
        }

        public byte[] bytes(int maxLength) {
            byte[] b = new byte[r.nextInt(maxLength + 1)];
            r.nextBytes(b);
            return b;
        }

        public byte[] bytes(int min, int max) {
            byte[] b = new byte[between(min, max)];
            r.nextBytes(b);
            return b;
        }

        /** Random text: printable ASCII, '=', '#', newlines and some non-ASCII. */
        public String text(int maxLength) {
            String alphabet = "abcxyz019 =#\n\t-_.:/0xFFMKG\u00e9\u2713";
            StringBuilder s = new StringBuilder();
            int n = r.nextInt(maxLength + 1);
            for (int i = 0; i < n; i++) s.append(r.nextInt(8) == 0 ? (char) r.nextInt(0x3000) : alphabet.charAt(r.nextInt(alphabet.length())));
            return s.toString();
        }

        public <T> T oneOf(List<T> items) {
            return items.get(r.nextInt(items.size()));
        }

        public <T> List<T> list(int min, int max, Function<Gen, T> element) {
            int n = between(min, max);
            List<T> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) out.add(element.apply(this));
            return out;
        }
    }
}
