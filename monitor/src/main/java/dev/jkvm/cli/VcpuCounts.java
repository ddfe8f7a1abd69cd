package dev.jkvm.cli;

import dev.jkvm.guest.GuestManifest;
import dev.jkvm.util.UsageException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses {@code --vcpus}: {@code K} for every VM, {@code vmI=K} for one; a later item overrides an earlier one. */
final class VcpuCounts {
    private VcpuCounts() {}

    /** vCPU counts by VM index, for a run of {@code vms} VMs; VMs not named keep their manifest's count. */
    static Map<Integer, Integer> parse(List<String> items, int vms) {
        Map<Integer, Integer> byVm = new LinkedHashMap<>();
        for (String item : items) {
            String it = item.strip();
            int eq = it.indexOf('=');
            if (eq < 0) {
                int k = count(it, item);
                for (int i = 0; i < vms; i++) byVm.put(i, k);
                continue;
            }
            String vm = it.substring(0, eq).strip();
            if (!vm.matches("vm\\d+")) throw new UsageException("--vcpus takes K or vmI=K (e.g. 2 or vm1=4), got '" + item + "'");
            String digits = vm.substring(2).replaceFirst("^0+(?=\\d)", "");
            if (digits.length() > 9 || Integer.parseInt(digits) >= vms) {
                throw new UsageException("--vcpus names " + vm + " but the run has vm0..vm" + (vms - 1));
            }
            byVm.put(Integer.parseInt(digits), count(it.substring(eq + 1).strip(), item));
        }
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
