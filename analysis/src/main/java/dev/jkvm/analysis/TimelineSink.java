package dev.jkvm.analysis;

import java.util.List;

/** Receives a run's timeline while {@link ScheduleAnalyzer#finish} replays it, in kernel-time order. */
public interface TimelineSink {
    /**
     * Before the replay: the vCPU lanes by index ("vm/vcpu"), how many segments and marks will follow
     * at most, and the range of their times.
     */
    void start(List<String> lanes, long records, long firstTime, long lastTime);

    /** A vCPU spent [start, end) in a state: {@link ScheduleAnalyzer#ON_CPU}, RUNNABLE or BLOCKED. */
    void segment(int lane, int state, long start, long end);

    /** A sched-in's switch class: {@link ScheduleAnalyzer#FIRST_RUN}, SAME_VCPU, OTHER_VCPU or UNKNOWN_CLASS. */
    void mark(int lane, long time, int switchClass);

    /** A VM exit at a kernel time (after all segments; only when the analyzer keeps exit times). */
    void exit(int lane, long time, String reason);

    /** After the replay: the window and the offset that maps JFR start times to kernel time (kernel = epoch − offset). */
    void end(long windowStart, long windowEnd, long clockOffset);
}
