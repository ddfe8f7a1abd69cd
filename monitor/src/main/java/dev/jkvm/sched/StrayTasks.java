package dev.jkvm.sched;

import dev.jkvm.bindings.NativeException;
import dev.jkvm.bindings.Syscalls;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;

/**
 * Tasks of this process that end up allowed on the experiment CPU although they are no vCPU thread.
 * The known one is KVM's per-VM worker {@code kvm-nx-lpage-recovery}, which newer kernels create at
 * a VM's first KVM_RUN from the (pinned) vCPU thread, so it inherits that CPU and competes with the
 * guests. Each sweep moves such tasks off the experiment CPU where the kernel allows it and
 * remembers the ones it does not (kernel threads may refuse a new affinity).
 */
public final class StrayTasks {
    private static final Path TASKS = Path.of("/proc/self/task");

    private final int cpu;
    private final BitSet elsewhere;
    private final Set<Integer> vcpuTids = new HashSet<>();
    private final Map<Integer, String> moved = new TreeMap<>();
    private final Map<Integer, String> refused = new TreeMap<>();

    /** Does nothing when there is no experiment CPU or nowhere else to go. */
    public StrayTasks(OptionalInt cpu, BitSet elsewhere, int[] vcpuTids) {
        this.cpu = elsewhere.isEmpty() ? -1 : cpu.orElse(-1);
        this.elsewhere = elsewhere;
        for (int t : vcpuTids) this.vcpuTids.add(t);
    }

    /** Moves every task of this process but the vCPU threads off the experiment CPU. */
    public void sweep() {
        if (cpu < 0) return;
        for (int tid : MonitorThreads.tids()) {
            if (vcpuTids.contains(tid) || moved.containsKey(tid) || refused.containsKey(tid)) continue;
            try {
                BitSet allowed = Syscalls.getAffinity(tid);
                if (!allowed.get(cpu)) continue;
                String name = comm(tid);
                try {
                    Syscalls.setAffinity(tid, elsewhere);
                    moved.put(tid, name);
                } catch (NativeException e) {
                    refused.put(tid, name + " (" + e.getMessage() + ")");
                }
            } catch (NativeException e) {
                // ESRCH: the task ended meanwhile.
            }
        }
    }

    /** Says in one line which tasks were moved and which stayed on the experiment CPU. */
    public void report(PrintWriter out) {
        if (!moved.isEmpty()) {
            out.println("jkvm: moved " + moved.size() + " task(s) of this process off CPU " + cpu + ": " + countedNames(moved.values()));
        }
        if (!refused.isEmpty()) {
            out.println("jkvm: " + refused.size() + " task(s) of this process stayed allowed on CPU " + cpu
                    + " (the kernel refused to move them; their time there shows in the sched_switch copy): " + String.join(", ", refused.values()));
        }
        out.flush();
    }

    /**
     * The names in first-seen order, each once with how many there were: KVM starts one
     * kvm-nx-lpage-recovery worker per VM, and 256 VMs made this line 256 names long.
     */
    static String countedNames(java.util.Collection<String> names) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String name : names) counts.merge(name, 1, Integer::sum);
        StringBuilder line = new StringBuilder();
        counts.forEach((name, n) -> line.append(line.isEmpty() ? "" : ", ").append(name).append(n > 1 ? " ×" + n : ""));
        return line.toString();
    }

    private static String comm(int tid) {
        try {
            return Files.readString(TASKS.resolve(tid + "/comm")).strip();
        } catch (IOException e) {
            return "TID " + tid;
        }
    }
}
