package dev.jkvm.jfr.timeline;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A JVM event whose start time the JVM took between two readings of CLOCK_MONOTONIC: read back,
 * it says which wall-clock instant the JVM's chunks give a CLOCK_MONOTONIC time, which is how the
 * timeline chunk's kernel times are placed on the same axis as the JVM's own events.
 */
@Name("jkvm.ClockReference")
@Label("Clock Reference")
@Description("Relates CLOCK_MONOTONIC (the kernel's and System.nanoTime's clock) to this recording's time axis:"
        + " the event started between the two readings")
@Category({"jkvm", "Recording"})
@StackTrace(false)
final class ClockReference extends jdk.jfr.Event {
    @dev.jkvm.jfr.KernelTime
    @Label("Monotonic Before") @Description("CLOCK_MONOTONIC nanoseconds read just before the event began (raw value)")
    long monotonicBefore;

    @dev.jkvm.jfr.KernelTime
    @Label("Monotonic After") @Description("CLOCK_MONOTONIC nanoseconds read just after the event began (raw value)")
    long monotonicAfter;
}
