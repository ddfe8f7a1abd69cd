package dev.jkvm.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.bindings.Syscalls;
import dev.jkvm.testing.JkvmProcess;
import dev.jkvm.util.KernelFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vCPU rings under the kernel's limit on locked perf memory, with the kernel as the judge: the
 * child jkvm runs without CAP_IPC_LOCK (setpriv) and with a small RLIMIT_MEMLOCK (prlimit), as an
 * unprivileged user does, while this test holds the user's whole per-user share
 * (kernel.perf_event_mlock_kb per CPU) in a ring of its own, as another perf user of the account
 * would. The child's estimate then promises more than the kernel grants, so the kernel refuses a
 * ring (mmap: EPERM) and jkvm must record every vCPU with smaller rings, or none.
 */
@Tag("kvm")
class PerfRingBudgetKvmTest {
    private static final int VMS = 8;
    private static final Pattern SHRUNK = Pattern.compile(
            "perf rings of (\\d+) data pages per vCPU instead of (\\d+): the kernel refused more \\(mmap perf ring of switches of vm\\d+/vcpu0 \\(TID \\d+\\) failed: EPERM");

    @TempDir
    Path dir;

    /** A ring larger than this user's per-user share of locked perf memory, mapped by this (privileged) process. */
    private static PerfEvent holdTheUsersShare(Arena arena) throws Exception {
        long mlockKb = Long.parseLong(KernelFile.read(Path.of("/proc/sys/kernel/perf_event_mlock_kb")).strip());
        int cpus = CpuPlacement.online().cardinality();
        long sharePages = mlockKb * cpus / 4;
        int pages = (int) Long.highestOneBit(Math.max(1, sharePages)) << 1;
        return PerfEvent.open(PerfAttributes.contextSwitches(arena), Syscalls.gettid(), -1, pages, "the user's share");
    }

    private JkvmProcess runLimitedTo(long memlockBytes, Path jfr) throws Exception {
        return JkvmProcess.startUnder(dir, List.of("prlimit", "--memlock=" + memlockBytes + ":" + memlockBytes,
                        "setpriv", "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock"),
                "run", "--guest", "spin", "--vms", Integer.toString(VMS), "--duration", "1500ms", "--quiet", "--jfr", jfr.toString());
    }

    private static Set<String> vmsWith(Path jfr, String type) throws Exception {
        return Recordings.events(jfr, type).stream().map(e -> e.getString("vm")).collect(Collectors.toSet());
    }

    @Test
    void whenTheKernelGrantsLessThanPlannedEveryVcpuIsRecordedWithSmallerRings() throws Exception {
        long grantedPages = VMS * PerfLockBudget.ringPages(4); // room for rings of 4 data pages, not 16
        Path jfr = dir.resolve("smaller.jfr");
        String text;
        try (Arena arena = Arena.ofConfined(); PerfEvent held = holdTheUsersShare(arena);
             JkvmProcess p = runLimitedTo(grantedPages * 4096, jfr)) {
            assertEquals(0, p.waitFor(60_000), p.out() + p.err());
            text = p.out() + p.err();
        }
        Matcher m = SHRUNK.matcher(text);
        assertTrue(m.find(), text);
        int pages = Integer.parseInt(m.group(1));
        assertTrue(pages >= 1 && VMS * PerfLockBudget.ringPages(pages) <= grantedPages, m.group());
        assertTrue(pages < Integer.parseInt(m.group(2)), m.group());

        Set<String> all = vmsWith(jfr, "jkvm.VmEnd");
        assertEquals(VMS, all.size(), text);
        assertEquals(all, vmsWith(jfr, "jkvm.VcpuSwitchSummary"), "every vCPU's ring was reopened and read");
        assertEquals(all, vmsWith(jfr, "jkvm.VcpuSchedIn"), "every VM's switches are in the recording");
        List<RecordedEvent> summary = Recordings.events(jfr, "jkvm.RecorderSummary");
        assertEquals(1, summary.size());
        assertEquals(pages, summary.get(0).getInt("ringDataPages"), "the recording says how large the rings were");
        assertEquals("", summary.get(0).getString("notRecorded"));
    }

    @Test
    void whenNotEvenTheSmallestRingsFitNoVcpuIsRecordedAndTheRunGoesOn() throws Exception {
        Path jfr = dir.resolve("none.jfr");
        String text;
        try (Arena arena = Arena.ofConfined(); PerfEvent held = holdTheUsersShare(arena);
             JkvmProcess p = runLimitedTo(4096, jfr)) { // one page: a ring needs two
            assertEquals(0, p.waitFor(60_000), p.out() + p.err());
            text = p.out() + p.err();
        }
        List<String> refusals = text.lines().filter(l -> l.contains("cannot record vCPU sched-in/out")).toList();
        assertEquals(1, refusals.size(), text);
        assertTrue(refusals.get(0).contains("EPERM") && refusals.get(0).contains("ulimit -l"), refusals.get(0));
        assertEquals(VMS, vmsWith(jfr, "jkvm.VmEnd").size(), text);
        assertEquals(Set.of(), vmsWith(jfr, "jkvm.VcpuSchedIn"), "no vCPU recorded rather than some");
        assertEquals(Set.of(), vmsWith(jfr, "jkvm.VcpuSwitchSummary"));

        // The recording says why, and analyze passes it on instead of asking whether it was recorded with --jfr.
        RecordedEvent summary = Recordings.events(jfr, "jkvm.RecorderSummary").get(0);
        assertEquals(0, summary.getInt("ringDataPages"));
        String why = summary.getString("notRecorded");
        assertTrue(refusals.get(0).endsWith(why), why + " | " + refusals.get(0));
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(2, dev.jkvm.cli.Main.run(new PrintWriter(out), new PrintWriter(err), "analyze", jfr.toString()));
        String line = (out + err.toString()).strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.contains(jfr + " has no vCPU switch events: the run could not record them (" + why + ")"), line);
    }
}
