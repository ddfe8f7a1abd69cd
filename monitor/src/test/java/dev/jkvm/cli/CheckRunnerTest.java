package dev.jkvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.sched.CpuPlacement;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * `jkvm check --runner` on this machine, its findings checked against the files it read (read
 * here again, independently) and its exit code against its FAIL lines. Needs no working KVM: an
 * unusable /dev/kvm is one more FAIL line.
 */
class CheckRunnerTest {

    private static String read(String path) {
        try {
            return dev.jkvm.util.KernelFile.read(Path.of(path)).strip();
        } catch (Exception e) {
            return null;
        }
    }

    @Test
    void theVerdictFollowsThisMachinesFiles() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), "check", "--runner");
        String text = out.toString();
        System.out.print(text);
        Map<String, String> lines = new LinkedHashMap<>();
        for (String l : text.lines().toList()) {
            if (l.matches("(ok  |WARN|FAIL)  .*")) lines.put(l.substring(6, 26).strip(), l);
        }
        assertEquals(List.of("KVM", "vendor module", "perf_event_paranoid", "perf rings", "tracefs", "kprobes", "isolated CPU", "governor", "SMT", "THP", "autogroup"),
                List.copyOf(lines.keySet()), text);
        String autogroup = read("/proc/sys/kernel/sched_autogroup_enabled");
        assertEquals("1".equals(autogroup) ? "WARN" : "ok  ", lines.get("autogroup").substring(0, 4), lines.get("autogroup"));

        boolean anyFail = lines.values().stream().anyMatch(l -> l.startsWith("FAIL"));
        assertEquals(anyFail ? ExitCodes.UNFIT_RUNNER : ExitCodes.OK, code, text);
        long fails = lines.values().stream().filter(l -> l.startsWith("FAIL")).count();
        long warns = lines.values().stream().filter(l -> l.startsWith("WARN")).count();
        String verdict = text.strip().lines().reduce((a, b) -> b).orElse("");
        assertEquals(anyFail ? "runner: NOT fit for regression runs (" + fails + " FAIL, " + warns + " WARN)"
                : "runner: fit for regression runs" + (warns == 0 ? "" : " (" + warns + " WARN)"), verdict);

        String isolated = read("/sys/devices/system/cpu/isolated"), nohz = read("/sys/devices/system/cpu/nohz_full");
        boolean someIsolated = isolated != null && !CpuPlacement.parseList(isolated).isEmpty()
                || nohz != null && !nohz.equals("(null)") && !CpuPlacement.parseList(nohz).isEmpty();
        assertEquals(someIsolated ? "ok  " : "FAIL", lines.get("isolated CPU").substring(0, 4), lines.get("isolated CPU"));

        String paranoid = read("/proc/sys/kernel/perf_event_paranoid");
        if (paranoid != null) assertTrue(lines.get("perf_event_paranoid").contains(" " + paranoid + " ")
                || lines.get("perf_event_paranoid").contains(" " + paranoid + ":"), lines.get("perf_event_paranoid"));

        boolean kprobe = Files.isDirectory(Path.of("/sys/bus/event_source/devices/kprobe"));
        assertEquals(kprobe ? "ok  " : "WARN", lines.get("kprobes").substring(0, 4), lines.get("kprobes"));

        String thp = read("/sys/kernel/mm/transparent_hugepage/enabled");
        if (thp != null) {
            String chosen = thp.replaceAll(".*\\[(\\w+)\\].*", "$1");
            assertTrue(lines.get("THP").contains(chosen), lines.get("THP"));
            assertEquals(chosen.equals("always") ? "WARN" : "ok  ", lines.get("THP").substring(0, 4));
        }
        String smt = read("/sys/devices/system/cpu/smt/control");
        if (smt != null) assertEquals(smt.equals("on") ? "WARN" : "ok  ", lines.get("SMT").substring(0, 4), lines.get("SMT"));
        boolean cpufreq = Files.exists(Path.of("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"));
        if (!cpufreq) assertTrue(lines.get("governor").startsWith("WARN  governor             cpufreq not exposed"), lines.get("governor"));
        for (String l : lines.values()) {
            if (!l.startsWith("ok")) assertTrue(l.contains(" — fix: "), "a WARN or FAIL without its fix: " + l);
        }
    }
}
