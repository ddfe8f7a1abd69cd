package dev.jkvm.jfr;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.MetadataDefinition;
import jdk.jfr.Relational;

/**
 * Marks a field holding a kernel moment that may differ from the event's start time (a guest gap's
 * mapped start, unknown for some): a timestamp in the recording's ticks, so readers show it as a
 * date-time on the recording's axis. The kernel's raw value (CLOCK_MONOTONIC nanoseconds, the clock of
 * perf records and of System.nanoTime) travels beside it in the event's {@code monotonicNanos}. Events
 * whose start time is their kernel moment (switches, slices, probe hits) carry no such field: it would
 * repeat the start time in 5–6 more bytes an event. Fields with this annotation can be related across
 * event types.
 */
@MetadataDefinition
@Relational
@Label("Kernel Time")
@Description("A moment the kernel recorded, on the recording's time axis")
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface KernelTime {}
