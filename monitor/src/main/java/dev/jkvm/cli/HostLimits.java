package dev.jkvm.cli;

import dev.jkvm.host.HostFiles;
import dev.jkvm.util.Capabilities;
import dev.jkvm.util.ProcessLimits;
import dev.jkvm.util.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * How many VMs this host can hold, checked before anything starts so that a too-large --vms is a
 * one-line usage error instead of minutes of VM creation ending in EMFILE or the OOM killer.
 *
 * <p>Costs per VM, measured on this project's hosts (README, "Limits"): file descriptors — the VM,
 * its vCPU, KVM's two binary-stats fds and the recorder's per-thread perf event — and host memory:
 * the vCPU thread, its kvm_run area and KVM's per-VM kernel state, before any guest RAM is touched.
 */
final class HostLimits {
    /** Open files one VM needs (measured 2026-11-26: 100 spinning VMs with --jfr and --cpu held 495 more fds than 1 VM, ≈ 5 each). */
    static final long FDS_PER_VM = 6;
    /** Files the JVM, JFR, the recorder and /dev/kvm keep open besides the VMs. */
    static final long FDS_RESERVED = 256;
    /**
     * Host memory one VM costs besides its guest RAM (measured 2026-11-26: 100 spinning VMs with --jfr
     * and --cpu had 178 MB more RSS than 1 VM, ≈ 1.8 MiB each, about 0.9 MiB of it the guest RAM then
     * faulted in; KVM's kernel state is not in RSS, hence the round-up).
     */
    static final long BYTES_PER_VM = 1L << 20;

    /** The guest RAM a VM of {@code memory} bytes holds resident from its start: written in up to the prefault limit. */
    static long residentRam(long memory) {
        return Math.min(memory, dev.jkvm.kvm.GuestMemory.PREFAULT_LIMIT);
    }

    private HostLimits() {}

    /**
     * Fails with a usage error naming the limit when {@code vms} VMs, whose guest RAM comes to
     * {@code guestRam} bytes resident (see {@link #residentRam}), cannot fit on this host; {@code
     * option} is what gave the count (--vms, bench's --scale).
     */
    static void requireRoomFor(String option, long vms, long guestRam) {
        OptionalLong files = openFileLimit();
        if (files.isPresent()) {
            long max = (files.getAsLong() - FDS_RESERVED) / FDS_PER_VM;
            if (vms > max) {
                throw new UsageException(String.format(
                        "%s %d needs about %d open files (%d per VM) but this process may open %d (ulimit -n): at most %d VMs here; raise ulimit -n or run fewer",
                        option, vms, vms * FDS_PER_VM + FDS_RESERVED, FDS_PER_VM, files.getAsLong(), Math.max(0, max)));
            }
        }
        OptionalLong host = memAvailable();
        java.util.Optional<dev.jkvm.host.CgroupMemory.Room> cgroup = dev.jkvm.host.CgroupMemory.live();
        boolean byCgroup = cgroup.isPresent() && (host.isEmpty() || cgroup.get().bytes() < host.getAsLong());
        OptionalLong available = byCgroup ? OptionalLong.of(cgroup.get().bytes()) : host;
        if (available.isPresent()) {
            long needed = vms * BYTES_PER_VM + guestRam;
            if (needed > available.getAsLong()) {
                long perVm = needed / Math.max(1, vms);
                throw new UsageException(String.format(
                        "%s %d needs about %d MiB of host memory (%d KiB per VM: its guest RAM, written in before the start up to %d MiB,"
                                + " and %d KiB besides) but %d MiB is available%s: at most %d such VMs here; run fewer or give them less --memory",
                        option, vms, needed >> 20, perVm >> 10, dev.jkvm.kvm.GuestMemory.PREFAULT_LIMIT >> 20, BYTES_PER_VM >> 10,
                        available.getAsLong() >> 20, byCgroup ? " within the memory cgroup " + cgroup.get().cgroup() + "'s limit" : "",
                        available.getAsLong() / Math.max(1, perVm)));
            }
        }
    }

    /** Files each vCPU beyond a VM's first adds: its vCPU fd, its KVM statistics fd and its perf event. */
    static final long FDS_PER_EXTRA_VCPU = 3;

    /** Fails with a usage error when {@code vms} VMs with {@code vcpus} vCPUs in all need more files than this process may open. */
    static void requireFilesFor(long vms, long vcpus) {
        OptionalLong files = openFileLimit();
        if (files.isEmpty() || vcpus <= vms) return;
        long needed = vms * FDS_PER_VM + (vcpus - vms) * FDS_PER_EXTRA_VCPU + FDS_RESERVED;
        if (needed > files.getAsLong()) {
            throw new UsageException(String.format(
                    "%d VMs with %d vCPUs in all need about %d open files (%d per VM, %d per further vCPU) but this process may open %d"
                            + " (ulimit -n); raise ulimit -n or use fewer vCPUs", vms, vcpus, needed, FDS_PER_VM, FDS_PER_EXTRA_VCPU,
                    files.getAsLong()));
        }
    }

    /**
     * Threads of jkvm's own at their most (the JVM's, JFR's, the recorder, samplers, VM creators),
     * besides one per CPU for the teardown: 47 at most in a 200-VM run on 2 CPUs (2026-11-27, sampled
     * every 20 ms; KVM's per-VM kvm-nx-lpage-recovery workers also show in the process but do not
     * count against the limit: 75 VMs ran under ulimit -u 150).
     */
    static final long OWN_THREADS = 56;

    /**
     * Fails with a usage error when {@code vcpus} vCPU threads (one each) and jkvm's own would pass
     * RLIMIT_NPROC, which counts every task (thread) of the user: as an unprivileged user with
     * {@code ulimit -u 150}, the 136th vCPU thread of a 256-VM run failed to start and the run ended
     * as an internal error (an OutOfMemoryError "unable to create native thread"). CAP_SYS_RESOURCE
     * or CAP_SYS_ADMIN (root) exempt a process from the limit.
     */
    static void requireThreadsFor(long vcpus) {
        // The kernel exempts root's user (INIT_USER) and either capability from RLIMIT_NPROC.
        if ("0".equals(field(status(Path.of("/proc/self/status")), "Uid:")) || Capabilities.ofThisProcess(Capabilities.CAP_SYS_RESOURCE)
                || Capabilities.ofThisProcess(Capabilities.CAP_SYS_ADMIN)) {
            return;
        }
        OptionalLong limit = softLimit("Max processes");
        if (limit.isEmpty()) return;
        // This process's own threads are in OWN_THREADS, not in what the user has already.
        String problem = threadsProblem(vcpus, limit.getAsLong(), tasksOfThisUser(), OWN_THREADS + Runtime.getRuntime().availableProcessors());
        if (problem != null) throw new UsageException(problem);
    }

    /** What is wrong with starting {@code vcpus} vCPU threads and {@code own} of jkvm's beside {@code already} tasks under a limit of {@code limit}, or null. */
    static String threadsProblem(long vcpus, long limit, long already, long own) {
        if (already + own + vcpus <= limit) return null;
        return String.format("%d vCPUs need about %d threads (one per vCPU, about %d of jkvm's own) but this user may have %d tasks (ulimit -u)"
                        + " and has %d already: at most %d vCPUs here; raise ulimit -u or run fewer", vcpus, vcpus + own, own, limit, already,
                Math.max(0, limit - already - own));
    }

    /** Tasks (threads) of every other process whose real uid is this process's, as RLIMIT_NPROC counts them. */
    static long tasksOfThisUser() {
        String self = status(Path.of("/proc/self/status"));
        String uid = field(self, "Uid:");
        String pid = Long.toString(ProcessHandle.current().pid());
        long tasks = 0;
        try (java.nio.file.DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"),
                p -> p.getFileName().toString().matches("\\d+") && !p.getFileName().toString().equals(pid))) {
            for (Path p : procs) {
                String s = status(p.resolve("status"));
                if (uid != null && uid.equals(field(s, "Uid:"))) tasks += Long.parseLong(java.util.Objects.requireNonNullElse(field(s, "Threads:"), "0"));
            }
        } catch (IOException | RuntimeException e) {
            return 0; // not Linux /proc: the kernel decides, as before
        }
        return tasks;
    }

    /** A /proc status file's text; empty when it cannot be read (the process ended meanwhile). */
    private static String status(Path file) {
        return HostFiles.live().read(file.toString()).orElse("");
    }

    /** The first word after {@code name} on its line of a /proc status text (the real uid for "Uid:"), or null. */
    private static String field(String status, String name) {
        return status.lines().filter(l -> l.startsWith(name)).findFirst().map(l -> l.substring(name.length()).trim().split("\\s+")[0]).orElse(null);
    }

    /** The soft RLIMIT_NOFILE of this process ("Max open files" in /proc/self/limits), if known. */
    static OptionalLong openFileLimit() {
        return softLimit("Max open files");
    }

    /** A soft limit of this process, empty when unlimited or unknown. */
    private static OptionalLong softLimit(String name) {
        OptionalLong v = ProcessLimits.soft(name);
        return v.isPresent() && v.getAsLong() == ProcessLimits.UNLIMITED ? OptionalLong.empty() : v;
    }

    /** MemAvailable from /proc/meminfo, in bytes, if known. */
    static OptionalLong memAvailable() {
        for (String line : lines(Path.of("/proc/meminfo"))) {
            if (!line.startsWith("MemAvailable:")) continue;
            String[] f = line.substring("MemAvailable:".length()).trim().split("\\s+");
            if (f.length > 0 && f[0].matches("\\d+")) return OptionalLong.of(Long.parseLong(f[0]) << 10);
        }
        return OptionalLong.empty();
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException | RuntimeException e) {
            return List.of(); // not Linux /proc: no limit known, nothing checked
        }
    }
}
