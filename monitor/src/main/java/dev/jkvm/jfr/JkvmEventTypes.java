package dev.jkvm.jfr;

import java.util.List;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;

/**
 * Every event class jkvm commits itself (the timeline's types register through {@link JkvmTimeline}).
 * Registered before a recording starts, so the JVM describes them all in the chunk's first metadata
 * event: a class registered while a recording runs makes the JVM write its whole metadata again
 * (about 135 KB with the JDK's own types), once per late registration.
 */
final class JkvmEventTypes {
    static final List<Class<? extends Event>> PLAIN = List.of(VmStart.class, VmEnd.class, VmExitEvent.class, VcpuExitStats.class,
            GuestProgress.class, StealTime.class, KvmStats.class, WakeupLatency.class, VcpuSwitchSummary.class,
            PerfRecordsLost.class, RecorderSummary.class, Host.class, RunHygieneEvent.class, LinuxWorkloadSteal.class, LockStats.class,
            LockWait.class);

    private JkvmEventTypes() {}

    /**
     * Registers every jkvm event type with the JVM, once per JVM: a registration, even of a class
     * already registered, makes the JVM write its metadata into running recordings again.
     */
    static void registerAll() {
        Registered.ONCE.hashCode();
    }

    private enum Registered {
        ONCE;
        static {
            for (Class<? extends Event> c : PLAIN) FlightRecorder.register(c);
            JkvmTimeline.declare();
        }
    }
}
