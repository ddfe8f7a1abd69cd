package dev.jkvm.host;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * How much more memory this process's memory cgroup lets it use: the least room (limit − usage) on
 * the way from its cgroup up to the hierarchy's root, cgroup v2 ({@code memory.max},
 * {@code memory.current}) or v1 ({@code memory.limit_in_bytes}, {@code memory.usage_in_bytes}). A
 * container or a CI job's systemd slice may allow far less than the host's MemAvailable, and going
 * past it brings the OOM killer, which ends jkvm without its recording.
 *
 * <p>Decoding only: the files come from {@link HostFiles} ({@link #live} reads this machine's).
 */
public final class CgroupMemory {
    private CgroupMemory() {}

    /** The room left, and the cgroup whose limit leaves the least of it. */
    public record Room(long bytes, String cgroup) {}

    /** The room in this process's memory cgroup, from the live files; empty when no limit applies or nothing can be read. */
    public static Optional<Room> live() {
        return room(HostFiles.live());
    }

    /** As {@link #live}, from {@code files}. */
    public static Optional<Room> room(HostFiles files) {
        Function<Path, String> read = p -> files.read(p.toString()).orElse(null);
        String cgroups = read.apply(Path.of("/proc/self/cgroup"));
        String mounts = read.apply(Path.of("/proc/self/mountinfo"));
        if (cgroups == null || mounts == null) return Optional.empty();
        Optional<Room> best = Optional.empty();
        for (String line : cgroups.lines().toList()) {
            String[] f = line.split(":", 3);
            if (f.length != 3) continue;
            boolean v2 = f[0].equals("0") && f[1].isEmpty();
            boolean v1 = List.of(f[1].split(",")).contains("memory");
            if (!v1 && !v2) continue;
            Path mount = mountPoint(mounts, v2);
            if (mount == null) continue;
            Optional<Room> r = walk(read, mount, f[2], v2 ? "memory.max" : "memory.limit_in_bytes", v2 ? "memory.current" : "memory.usage_in_bytes");
            if (r.isPresent() && (best.isEmpty() || r.get().bytes() < best.get().bytes())) best = r;
        }
        return best;
    }

    /** The least room from {@code cgroup} up to the mount's root; each level's limit against its own usage. */
    private static Optional<Room> walk(Function<Path, String> read, Path mount, String cgroup, String limitFile, String usageFile) {
        Optional<Room> best = Optional.empty();
        List<String> parts = new ArrayList<>(List.of(cgroup.split("/")));
        parts.removeIf(String::isEmpty);
        for (int depth = parts.size(); depth >= 0; depth--) {
            Path dir = mount;
            for (String p : parts.subList(0, depth)) dir = dir.resolve(p);
            Long limit = number(read.apply(dir.resolve(limitFile)));
            Long usage = number(read.apply(dir.resolve(usageFile)));
            // "max" (v2) and v1's near-2^63 page-rounded value mean no limit at this level.
            if (limit == null || usage == null || limit >= Long.MAX_VALUE / 2) continue;
            long room = Math.max(0, limit - usage);
            if (best.isEmpty() || room < best.get().bytes()) best = Optional.of(new Room(room, "/" + String.join("/", parts.subList(0, depth))));
        }
        return best;
    }

    /** Where the v2 hierarchy, or v1's memory controller, is mounted; null when it is not. */
    private static Path mountPoint(String mountinfo, boolean v2) {
        for (String line : mountinfo.lines().toList()) {
            int dash = line.indexOf(" - ");
            if (dash < 0) continue;
            String[] before = line.substring(0, dash).split(" ");
            String[] after = line.substring(dash + 3).split(" ");
            if (before.length < 5 || after.length < 3) continue;
            boolean match = v2 ? after[0].equals("cgroup2")
                    : after[0].equals("cgroup") && List.of(after[2].split(",")).contains("memory");
            // Only a mount of the hierarchy's root maps /proc/self/cgroup's paths onto files.
            if (match && before[3].equals("/")) return Path.of(before[4]);
        }
        return null;
    }

    private static Long number(String text) {
        if (text == null) return null;
        String t = text.strip();
        if (t.equals("max")) return Long.MAX_VALUE;
        if (!t.matches("\\d{1,19}")) return null;
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
