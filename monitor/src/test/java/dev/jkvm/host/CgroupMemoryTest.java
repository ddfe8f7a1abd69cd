package dev.jkvm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jkvm.testing.JkvmProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The room a memory cgroup leaves: from files as v1 and v2 kernels write them, and against the
 * kernel itself, a real v1 or v2 memory cgroup with a limit that a `jkvm run` child started inside it
 * is refused by, before any VM (a container's or CI slice's limit was not looked at: the OOM killer
 * would have ended such a run without its recording).
 */
class CgroupMemoryTest {
    private static Optional<CgroupMemory.Room> room(Map<String, String> files) {
        return CgroupMemory.room(HostFiles.of(files));
    }

    @Test
    void v2TakesTheLeastRoomOnTheWayUp() {
        var r = room(Map.of(
                "/proc/self/cgroup", "0::/ci.slice/job-7\n",
                "/proc/self/mountinfo", "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n",
                "/sys/fs/cgroup/ci.slice/job-7/memory.max", "max\n",
                "/sys/fs/cgroup/ci.slice/job-7/memory.current", "100\n",
                "/sys/fs/cgroup/ci.slice/memory.max", "1073741824\n",
                "/sys/fs/cgroup/ci.slice/memory.current", "73741824\n"));
        assertEquals(Optional.of(new CgroupMemory.Room(1_000_000_000L, "/ci.slice")), r);
    }

    @Test
    void v1ReadsTheMemoryControllersOwnMountAndIgnoresItsNoLimitValue() {
        var r = room(Map.of(
                "/proc/self/cgroup", "5:cpu,cpuacct:/\n4:memory:/process_api/42\n0::/\n",
                "/proc/self/mountinfo", "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
                        + "35 31 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n",
                "/sys/fs/cgroup/memory/process_api/42/memory.limit_in_bytes", "536870912\n",
                "/sys/fs/cgroup/memory/process_api/42/memory.usage_in_bytes", "36870912\n",
                "/sys/fs/cgroup/memory/process_api/memory.limit_in_bytes", "9223372036854771712\n",
                "/sys/fs/cgroup/memory/process_api/memory.usage_in_bytes", "4000000000\n"));
        assertEquals(Optional.of(new CgroupMemory.Room(500_000_000L, "/process_api/42")), r);
    }

    @Test
    void noLimitNoFilesOrAMountOfASubtreeMeanNoRoomKnown() {
        assertEquals(Optional.empty(), room(Map.of()));
        assertEquals(Optional.empty(), room(Map.of("/proc/self/cgroup", "4:memory:/a\n",
                "/proc/self/mountinfo", "35 31 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
                "/sys/fs/cgroup/memory/a/memory.limit_in_bytes", "9223372036854771712\n",
                "/sys/fs/cgroup/memory/a/memory.usage_in_bytes", "1\n")));
        // A container's mount of its own subtree (root /docker/x) cannot map the host's path: nothing is guessed.
        assertEquals(Optional.empty(), room(Map.of("/proc/self/cgroup", "0::/docker/x\n",
                "/proc/self/mountinfo", "30 23 0:26 /docker/x /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
                "/sys/fs/cgroup/memory.max", "1000\n", "/sys/fs/cgroup/memory.current", "1\n")));
    }

    /** The live files of this machine parse (whatever they say) without throwing. */
    @Test
    void theLiveFilesParse() {
        var r = CgroupMemory.live();
        r.ifPresent(x -> assertTrue(x.bytes() >= 0, x.toString()));
    }

    /**
     * A real memory cgroup (root only: creating one needs it) with a 256 MiB limit: `jkvm run` started
     * inside it refuses 64 VMs of 4 MiB (about 320 MiB) before making any, naming the cgroup; outside
     * it, on this host's MemAvailable, the same count is allowed.
     */
    @Test
    void aRunInsideARealMemoryCgroupIsRefusedByItsLimit(@TempDir Path dir) throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            System.out.println("cgroup memory: not checked against a real cgroup (creating one needs root)");
            return;
        }
        Path v1 = Path.of("/sys/fs/cgroup/memory");
        Path v2 = Path.of("/sys/fs/cgroup/memory.max").toFile().exists() ? Path.of("/sys/fs/cgroup") : Path.of("/sys/fs/cgroup/unified");
        Path group;
        String limitFile;
        if (Files.isWritable(v1.resolve("cgroup.procs"))) {
            group = v1.resolve("jkvm-test-" + ProcessHandle.current().pid());
            limitFile = "memory.limit_in_bytes";
        } else if (Files.exists(v2.resolve("cgroup.subtree_control"))
                && Files.readString(v2.resolve("cgroup.subtree_control")).contains("memory")) {
            group = v2.resolve("jkvm-test-" + ProcessHandle.current().pid());
            limitFile = "memory.max";
        } else {
            System.out.println("cgroup memory: no writable memory controller here (neither v1 nor v2 with memory enabled)");
            return;
        }
        Files.createDirectory(group);
        try {
            Files.writeString(group.resolve(limitFile), Long.toString(256L << 20));
            String enter = "echo $$ > " + group.resolve("cgroup.procs") + " && exec \"$@\"";
            try (JkvmProcess p = JkvmProcess.startUnder(dir, List.of("sh", "-c", enter, "sh"),
                    "run", "--guest", "spin", "--vms", "64", "--duration", "1s", "--quiet")) {
                int code = p.waitFor(60_000);
                String err = p.err();
                System.out.println("cgroup memory: " + err.strip());
                assertEquals(2, code, err);
                assertTrue(err.contains("--vms 64 needs about") && err.contains("within the memory cgroup /" + group.getFileName() + "'s limit"), err);
            }
        } finally {
            // The child has exited: the cgroup is empty and can go.
            for (int i = 0; i < 50 && Files.exists(group); i++) {
                try {
                    Files.delete(group);
                } catch (java.io.IOException busy) {
                    Thread.sleep(100);
                }
            }
        }
    }
}
