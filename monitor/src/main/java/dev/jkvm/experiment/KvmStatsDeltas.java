package dev.jkvm.experiment;

import dev.jkvm.jfr.JkvmTimeline;
import dev.jkvm.jfr.KvmStats;
import dev.jkvm.kvm.KvmStatsFd;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples KVM's binary statistics of every VM and vCPU as changes: a {@code jkvm.KvmStats} event is
 * committed only for a statistic whose value moved since the previous sample (KVM offers about 60 per
 * VM and vCPU, and most never move for a small guest), carrying the new value and the change. The
 * first sample compares against zero, which is where KVM starts every statistic. The rate is the
 * profile's period for the event; {@link #sample} at the end of a run adds a last sample so the
 * recording always holds every VM's final values, whatever the rate. With a timeline (a recorded
 * run) the events go there, where their strings are pooled; without one they are committed.
 */
final class KvmStatsDeltas {
    /** One stats fd and the values it had at the previous sample. */
    private record Source(String vm, String scope, KvmStatsFd fd, long[] previous, long[] current) {}

    private final List<Source> sources = new ArrayList<>();
    private final JkvmTimeline timeline;

    KvmStatsDeltas(List<VmInstance> vms, JkvmTimeline timeline) {
        this.timeline = timeline;
        for (VmInstance vm : vms) {
            add(vm.name(), "vm", vm.vmStats());
            for (VmVcpu v : vm.vcpus()) add(vm.name(), "vcpu" + v.index(), v.kvmStats());
        }
    }

    private void add(String vm, String scope, KvmStatsFd fd) {
        if (fd == null) return; // this KVM has no binary statistics
        int n = fd.descriptors().size();
        sources.add(new Source(vm, scope, fd, new long[n], new long[n]));
    }

    /**
     * Commits one event per statistic that changed since the previous call and returns how many.
     * Synchronized: JFR's periodic thread and the end of the run may both sample.
     */
    synchronized int sample() {
        int committed = 0;
        for (Source s : sources) {
            s.fd().sampleInto(s.current());
            for (int i = 0; i < s.current().length; i++) {
                long value = s.current()[i];
                long delta = value - s.previous()[i];
                if (delta == 0) continue;
                s.previous()[i] = value;
                KvmStatsFd.Descriptor d = s.fd().descriptors().get(i);
                committed++;
                if (timeline != null) {
                    timeline.kvmStat(System.nanoTime(), s.vm(), s.scope(), d.name(), value, delta, d.displayUnit(), d.kind());
                    continue;
                }
                KvmStats e = new KvmStats();
                e.vm = s.vm();
                e.scope = s.scope();
                e.name = d.name();
                e.value = value;
                e.delta = delta;
                e.unit = d.displayUnit();
                e.kind = d.kind();
                e.commit();
            }
        }
        return committed;
    }
}
