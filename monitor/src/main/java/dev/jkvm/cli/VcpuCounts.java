package dev.jkvm.cli;

import dev.jkvm.guest.GuestManifest;
import dev.jkvm.util.UsageException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses {@code --vcpus}: {@code K} for every VM, {@code vmI=K} for one; a later item overrides an earlier one. */
final class VcpuCounts {
    private VcpuCounts() {}

    /**
     * vCPU counts by VM index, for a run of {@code vms} VMs; VMs not named keep their manifest's count.
     * One count for all (K) and one per named VM (vmI=K), in any order: a second of either is refused
     * (`--vcpus 2,3` and `vm0=2,vm0=3` ran the last one's count without a word, and `vm1=4,2` gave vm1 2).
     */
    static Map<Integer, Integer> parse(List<String> items, int vms) {
        Map<Integer, Integer> byVm = new LinkedHashMap<>();
        Integer all = null;
        for (String item : items) {
            String it = item.strip();
            int eq = it.indexOf('=');
            if (eq < 0) {
                if (all != null) throw new UsageException("--vcpus gives the count for every VM twice (" + all + " and " + it + "); give it once");
                all = count(it, item);
                continue;
            }
            String vm = it.substring(0, eq).strip();
            if (!vm.matches("vm\\d+")) throw new UsageException("--vcpus takes K or vmI=K (e.g. 2 or vm1=4), got '" + item + "'");
            String digits = vm.substring(2).replaceFirst("^0+(?=\\d)", "");
            if (digits.length() > 9 || Integer.parseInt(digits) >= vms) {
                throw new UsageException("--vcpus names " + vm + " but the run has vm0..vm" + (vms - 1));
            }
            if (byVm.put(Integer.parseInt(digits), count(it.substring(eq + 1).strip(), item)) != null) {
                throw new UsageException("--vcpus names vm" + Integer.parseInt(digits) + " twice; give each VM's count once");
            }
        }
        if (all != null) for (int i = 0; i < vms; i++) byVm.putIfAbsent(i, all);
        return byVm;
    }

    private static int count(String k, String item) {
        if (!k.matches("\\d{1,9}")) throw new UsageException("--vcpus takes K or vmI=K (e.g. 2 or vm1=4), got '" + item + "'");
        int n = Integer.parseInt(k);
        if (n < 1 || n > GuestManifest.MAX_VCPUS) {
            throw new UsageException("--vcpus: a VM has 1 to " + GuestManifest.MAX_VCPUS + " vCPUs, got " + n);
        }
        return n;
    }
}
