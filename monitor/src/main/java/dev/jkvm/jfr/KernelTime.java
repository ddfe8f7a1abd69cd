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
 * Marks a field holding a kernel timestamp: CLOCK_MONOTONIC nanoseconds, the clock of perf records
 * (use_clockid) and of System.nanoTime. JFR cannot back-date an event's start time, so the exact
 * moment the kernel saw travels in such a field; fields with this annotation can be related across
 * event types (a switch and the kprobe of the same moment carry comparable values).
 */
@MetadataDefinition
@Relational
@Label("Kernel Time")
@Description("CLOCK_MONOTONIC nanoseconds as the kernel recorded them (same clock as System.nanoTime)")
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface KernelTime {}
