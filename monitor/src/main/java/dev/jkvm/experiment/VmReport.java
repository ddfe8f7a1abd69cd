package dev.jkvm.experiment;

import dev.jkvm.exits.ExitStats;
import dev.jkvm.exits.GuestResult;

/**
 * What one VM of an experiment did: how it ended, its exits (all its vCPUs'), what it printed, and
 * each vCPU's own report. The thread, TID, run and loop figures are those of the vCPU whose guest
 * ended the VM, else of vCPU 0. {@code loopEndNanos}
 * is when its vCPU thread left the KVM_RUN loop (System.nanoTime, the kernel's CLOCK_MONOTONIC);
 * {@code loopAllocatedBytes} what that thread allocated on the heap inside the loop (-1: unknown),
 * besides its run trace's growth (at most about 128 KiB per vCPU, once: {@code KvmRunTrace.growthBytes});
 * {@code linuxSteal} the built-in Linux workload's steal, guest vs host (null for other guests).
 */
public record VmReport(
        String name,
        String guest,
        String threadName,
        int tid,
        GuestResult result,
        ExitStats exits,
        String serialOutput,
        long pings,
        long unknownPortReads,
        long unknownPortWrites,
        long mmioReads,
        long mmioWrites,
        long runNanos,
        long loopEndNanos,
        long loopAllocatedBytes,
        Long progressCounter,
        java.util.List<VcpuReport> vcpus,
        LinuxSteal linuxSteal) {

    public VmReport {
        vcpus = java.util.List.copyOf(vcpus);
    }
}
