package dev.jkvm.analysis.jmc;

import dev.jkvm.analysis.RunSummary;
import dev.jkvm.analysis.ScheduleAnalyzer;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import org.openjdk.jmc.common.item.IAccessorKey;
import org.openjdk.jmc.common.item.IItem;
import org.openjdk.jmc.common.item.IItemCollection;
import org.openjdk.jmc.common.item.IItemIterable;
import org.openjdk.jmc.common.item.IMemberAccessor;
import org.openjdk.jmc.common.item.IType;
import org.openjdk.jmc.common.unit.IQuantity;
import org.openjdk.jmc.common.unit.UnitLookup;
import org.openjdk.jmc.flightrecorder.JfrAttributes;

/**
 * The same analysis as `jkvm analyze`, fed from JDK Mission Control's parsed items instead of the
 * JDK's RecordingFile: what the rules see inside JMC. kernelTime may be typed as a timespan or as a
 * timestamp; both carry CLOCK_MONOTONIC nanoseconds in the raw value.
 */
public final class JmcRecording {
    /** One analysis per item collection: JMC evaluates the rules on the same items in parallel. */
    private static final Map<IItemCollection, RunSummary> CACHE = new WeakHashMap<>();

    private JmcRecording() {}

    public static RunSummary summary(IItemCollection items) {
        synchronized (CACHE) {
            RunSummary s = CACHE.get(items);
            if (s == null) {
                s = analyze(items);
                CACHE.put(items, s);
            }
            return s;
        }
    }

    static RunSummary analyze(IItemCollection items) {
        try (ScheduleAnalyzer a = new ScheduleAnalyzer("JMC items")) {
            for (IItemIterable it : items) {
                Fields f = new Fields(it.getType());
                switch (it.getType().getIdentifier()) {
                    case "jkvm.VcpuSchedIn" -> {
                        for (IItem i : it) {
                            long t = f.time(i);
                            a.schedIn(f.str(i, "vm"), (int) f.num(i, "vcpu"), (int) f.num(i, "tid"), (int) f.num(i, "cpu"), t, f.num(i, "lag"));
                            a.clockSample(f.start(i), t);
                            if (f.bool(i, "late")) a.lateRecord();
                            // Since 2026-11-27 the sched-in carries its class (empty: a late record, not classified).
                            String c = f.str(i, "switchClass");
                            if (!c.isEmpty()) a.switchClass(f.str(i, "vm"), (int) f.num(i, "vcpu"), (int) f.num(i, "cpu"), t, c);
                        }
                    }
                    case "jkvm.VcpuSchedOut" -> {
                        for (IItem i : it) {
                            long t = f.time(i);
                            a.schedOut(f.str(i, "vm"), (int) f.num(i, "vcpu"), (int) f.num(i, "tid"), (int) f.num(i, "cpu"), t,
                                    f.bool(i, "preempted"), f.num(i, "lag"));
                            a.clockSample(f.start(i), t);
                            if (f.bool(i, "late")) a.lateRecord();
                        }
                    }
                    case "jkvm.VcpuSwitch" -> { // recordings before 2026-11-27: the class as an event of its own
                        for (IItem i : it) {
                            a.switchClass(f.str(i, "vm"), (int) f.num(i, "vcpu"), (int) f.num(i, "cpu"), f.time(i), f.str(i, "switchClass"));
                        }
                    }
                    case "jkvm.VmStart" -> {
                        for (IItem i : it) a.vmStart(f.str(i, "vm"), (int) f.num(i, "tid"), (int) f.num(i, "nice"));
                    }
                    case "jkvm.VmEnd" -> {
                        for (IItem i : it) a.vmEnd(f.str(i, "vm"), f.str(i, "result"), f.num(i, "progress"));
                    }
                    case "jkvm.VmExit" -> {
                        for (IItem i : it) {
                            a.vmExit(f.str(i, "vm"), (int) f.num(i, "vcpu"), f.str(i, "reason"), f.duration(i), f.start(i));
                        }
                    }
                    case "jkvm.VcpuExitStats" -> {
                        for (IItem i : it) {
                            a.exitStats(f.str(i, "vm"), (int) f.num(i, "vcpu"), f.str(i, "reason"), f.num(i, "count"), f.num(i, "mean"),
                                    f.num(i, "p99"), f.num(i, "max"));
                        }
                    }
                    case "jkvm.GuestGap" -> {
                        for (IItem i : it) a.guestGap(f.str(i, "vm"), f.num(i, "gap"));
                    }
                    case "jkvm.VcpuReload" -> {
                        for (IItem i : it) a.reload(f.str(i, "switchClass"), f.num(i, "latency"));
                    }
                    case "jkvm.WakeupLatency" -> {
                        for (IItem i : it) a.wakeup(f.str(i, "vm"), (int) f.num(i, "vcpu"), f.num(i, "latency"), f.num(i, "missedTicks"));
                    }
                    case "jkvm.StealTime" -> {
                        for (IItem i : it) a.steal(f.str(i, "vm"), (int) f.num(i, "vcpu"), f.num(i, "steal"));
                    }
                    case "jkvm.LinuxWorkloadSteal" -> {
                        for (IItem i : it) a.linuxSteal(f.str(i, "vm"), (int) f.num(i, "vcpu"), f.num(i, "guestSteal"), f.num(i, "hostRunQueueWait"));
                    }
                    case "jkvm.KernelSchedSwitch" -> {
                        for (IItem i : it) {
                            a.kernelSwitch((int) f.num(i, "cpu"), f.time(i), (int) f.num(i, "nextTid"), f.str(i, "nextComm"),
                                    f.str(i, "nextVm"));
                        }
                    }
                    case "jkvm.PerfRecordsLost" -> {
                        for (IItem i : it) a.recordsLost(f.str(i, "source"), f.num(i, "lost"));
                    }
                    case "jkvm.RecorderSummary" -> {
                        for (IItem i : it) a.recorderSummary(f.num(i, "switchRecords"), f.num(i, "lostRecords"), f.str(i, "failures"));
                    }
                    case "jkvm.Host" -> {
                        for (IItem i : it) {
                            a.host(new RunSummary.Host(true, f.str(i, "kernelRelease"), f.str(i, "kernelCommandLine"), f.str(i, "cpuVendor"),
                                    f.str(i, "cpuModel"), f.str(i, "microcode"), f.str(i, "vendorModule"), f.str(i, "vendorKind"),
                                    f.str(i, "kvmParameters"), f.str(i, "smt"), (int) f.num(i, "cpu"), f.str(i, "governor"),
                                    f.str(i, "frequencyRange"), f.str(i, "isolatedCpus"), f.str(i, "nohzFull"), f.str(i, "transparentHugepages"),
                                    f.str(i, "jkvmVersion"), f.str(i, "jdkVersion")));
                        }
                    }
                    case "jkvm.RunHygiene" -> {
                        for (IItem i : it) {
                            a.runHygiene(f.num(i, "foreignTime"), f.fraction(i, "foreignFraction"), f.str(i, "siblingCpus"),
                                    f.fraction(i, "siblingLoad"), (int) f.num(i, "frequencyChanges"), f.num(i, "minFrequency"),
                                    f.num(i, "maxFrequency"), f.num(i, "stealTime"));
                        }
                    }
                    default -> { }
                }
            }
            return a.finish(null);
        }
    }

    /** The accessors of one event type, looked up by field name. */
    private static final class Fields {
        private final IType<IItem> type;
        private final Map<String, IMemberAccessor<?, IItem>> byName = new HashMap<>();

        Fields(IType<IItem> type) {
            this.type = type;
            for (IAccessorKey<?> k : type.getAccessorKeys().keySet()) byName.put(k.getIdentifier(), type.getAccessor(k));
        }

        private Object get(IItem item, String field) {
            IMemberAccessor<?, IItem> a = byName.get(field);
            return a == null ? null : a.getMember(item);
        }

        String str(IItem item, String field) {
            Object v = get(item, field);
            return v == null ? "" : v.toString();
        }

        boolean bool(IItem item, String field) {
            return Boolean.TRUE.equals(get(item, field));
        }

        long num(IItem item, String field) {
            return value(get(item, field));
        }

        /** A @Percentage field as a fraction of 1 (JMC gives it as a PERCENTAGE quantity). */
        double fraction(IItem item, String field) {
            Object v = get(item, field);
            if (v instanceof IQuantity q) {
                return q.getUnit().getContentType() == UnitLookup.PERCENTAGE ? q.doubleValueIn(UnitLookup.PERCENT_UNITY) : q.doubleValue();
            }
            return v instanceof Number n ? n.doubleValue() : Double.NaN;
        }

        /** Raw CLOCK_MONOTONIC nanoseconds: monotonicNanos where kernelTime became a timestamp, else kernelTime. */
        long time(IItem item) {
            return num(item, byName.containsKey("monotonicNanos") ? "monotonicNanos" : "kernelTime");
        }

        long start(IItem item) {
            IMemberAccessor<IQuantity, IItem> a = JfrAttributes.START_TIME.getAccessor(type);
            return a == null ? 0 : value(a.getMember(item));
        }

        long duration(IItem item) {
            IMemberAccessor<IQuantity, IItem> a = JfrAttributes.DURATION.getAccessor(type);
            return a == null ? 0 : value(a.getMember(item));
        }

        static long value(Object v) {
            if (v instanceof IQuantity q) {
                if (q.getUnit().getContentType() == UnitLookup.TIMESTAMP) return q.clampedLongValueIn(UnitLookup.EPOCH_NS);
                if (q.getUnit().getContentType() == UnitLookup.TIMESPAN) return q.clampedLongValueIn(UnitLookup.NANOSECOND);
                return q.longValue();
            }
            if (v instanceof Number n) return n.longValue();
            return 0;
        }
    }
}
