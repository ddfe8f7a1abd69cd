package dev.jkvm.analysis.expect;

/**
 * The right-hand side of an expectation: numbers with units, N (the number of vCPUs in the
 * recording), and products and quotients of them. Its type is known when parsed (time or plain
 * number), its value only against a recording (N).
 */
sealed interface Quantity {
    /** True for a time (it carries a unit of time); false for a plain number. */
    boolean isTime();

    /** Written with '%' at the top (a relative tolerance on anything that is not a fraction). */
    default boolean percent() {
        return false;
    }

    /** The value, in nanoseconds for a time; {@code vcpus} is N. */
    double value(int vcpus);

    int position();

    /** A number as written, already scaled by its unit (ms → 1e6 ns, % → 0.01). */
    record Literal(double number, boolean isTime, boolean percent, int position) implements Quantity {
        @Override
        public double value(int vcpus) {
            return number;
        }
    }

    /** N: the number of vCPUs in the recording. */
    record VcpuCount(int position) implements Quantity {
        @Override
        public boolean isTime() {
            return false;
        }

        @Override
        public double value(int vcpus) {
            return vcpus;
        }
    }

    /** a * b or a / b. */
    record Product(Quantity left, boolean divide, Quantity right, int position) implements Quantity {
        @Override
        public boolean isTime() {
            return left.isTime() != right.isTime(); // time × number, time / number; time / time is a number
        }

        @Override
        public double value(int vcpus) {
            double r = right.value(vcpus);
            return divide ? left.value(vcpus) / r : left.value(vcpus) * r;
        }
    }
}
