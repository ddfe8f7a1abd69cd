package dev.jkvm.analysis;

/** CFS load weights by nice value (the kernel's sched_prio_to_weight table, kernel/sched/core.c). */
public final class NiceWeights {
    private static final int[] WEIGHTS = {
        /* -20 */ 88761, 71755, 56483, 46273, 36291,
        /* -15 */ 29154, 23254, 18705, 14949, 11916,
        /* -10 */ 9548, 7620, 6100, 4904, 3906,
        /*  -5 */ 3121, 2501, 1991, 1586, 1277,
        /*   0 */ 1024, 820, 655, 526, 423,
        /*   5 */ 335, 272, 215, 172, 137,
        /*  10 */ 110, 87, 70, 56, 45,
        /*  15 */ 36, 29, 23, 18, 15,
    };

    private NiceWeights() {}

    public static int weight(int nice) {
        return WEIGHTS[Math.max(-20, Math.min(19, nice)) + 20];
    }
}
