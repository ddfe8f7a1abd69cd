package dev.jkvm.experiment;

import dev.jkvm.exits.ExitStats;
import dev.jkvm.exits.GuestResult;

/**
 * What one vCPU of a VM did: its name ({@code vm0}, or {@code vm0/cpu1} in an SMP VM), index, thread,
 * how its loop ended (a vCPU stopped because another ended the VM says so), its exits, how long its
 * guest could run, when its loop ended (System.nanoTime) and what its loop allocated (-1: unknown).
 */
public record VcpuReport(
        String name,
        int index,
        String threadName,
        int tid,
        GuestResult result,
        ExitStats exits,
        long runNanos,
        long loopEndNanos,
        long loopAllocatedBytes) {}
